module example.com/pcs

go 1.21
