// placeholder replaced by the real plugin in the next commit
