package main

import _ "golang.org/x/sync/errgroup"

func main() {}
