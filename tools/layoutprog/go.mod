module layoutprog

go 1.21
