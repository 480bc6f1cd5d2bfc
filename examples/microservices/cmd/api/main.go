// Command api prints its greeting; with --serve it also answers HTTP on --listen.
package main

import (
	"flag"
	"fmt"
	"log"
	"net/http"

	"example.com/microservices/internal/greeting"
)

func main() {
	listen := flag.String("listen", ":8080", "address to serve HTTP on")
	serve := flag.Bool("serve", false, "serve HTTP after printing the greeting")
	flag.Parse()
	fmt.Println(greeting.Line("api"))
	if !*serve {
		return
	}
	http.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, greeting.Line("api"))
	})
	log.Fatal(http.ListenAndServe(*listen, nil))
}
