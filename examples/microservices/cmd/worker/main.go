// Command worker prints its greeting.
package main

import (
	"fmt"

	"example.com/microservices/internal/greeting"
)

func main() {
	fmt.Println(greeting.Line("worker"))
}
