module example.com/hungservice

go 1.21
