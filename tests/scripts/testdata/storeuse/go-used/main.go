package main

import _ "github.com/BurntSushi/toml"

func main() {}
