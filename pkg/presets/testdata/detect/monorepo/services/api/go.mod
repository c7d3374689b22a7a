module example.com/platform/services/api

go 1.26
