// Command api prints its greeting; with --serve it also answers HTTP on --listen, and with
// --health it checks that a server on --listen answers (an image's health check: distroless
// has no curl).
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"time"

	"example.com/microservices/internal/greeting"
)

func main() {
	listen := flag.String("listen", ":8080", "address to serve HTTP on")
	serve := flag.Bool("serve", false, "serve HTTP after printing the greeting")
	health := flag.Bool("health", false, "exit 0 if the server on --listen answers, else 1")
	flag.Parse()
	if *health {
		os.Exit(check(*listen))
	}
	fmt.Println(greeting.Line("api"))
	if !*serve {
		return
	}
	http.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, greeting.Line("api"))
	})
	log.Fatal(http.ListenAndServe(*listen, nil))
}

func check(listen string) int {
	_, port, err := net.SplitHostPort(listen)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	client := http.Client{Timeout: 2 * time.Second}
	resp, err := client.Get("http://" + net.JoinHostPort("127.0.0.1", port) + "/")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintln(os.Stderr, resp.Status)
		return 1
	}
	return 0
}
