module waiters

go 1.21
