module example.com/storeuseused

go 1.22

require github.com/BurntSushi/toml v1.4.0 // indirect
