package main

import (
	"bufio"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"math/big"
	"strings"
	"unicode/utf8"

	"petrel.dev/petrel/internal/auth"
)

// generatedLen is the length of generated passwords: 20 characters of 62
// give 119 bits.
const generatedLen = 20

const passwordAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// generatePassword returns a random password of generatedLen letters and
// digits.
func generatePassword() string {
	n := big.NewInt(int64(len(passwordAlphabet)))
	b := make([]byte, generatedLen)
	for i := range b {
		k, err := rand.Int(rand.Reader, n)
		if err != nil {
			panic("crypto/rand failed: " + err.Error()) // never happens since Go 1.24
		}
		b[i] = passwordAlphabet[k.Int64()]
	}
	return string(b)
}

// readPassword reads one line from r and returns it without its line
// ending. The password must be 1 to auth.MaxPasswordLen bytes of UTF-8
// without NUL or line breaks, which IMAP LOGIN and SASL PLAIN could not
// carry.
func readPassword(r io.Reader) (string, error) {
	br := bufio.NewReader(io.LimitReader(r, auth.MaxPasswordLen+3))
	line, err := br.ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read password: %w", err)
	}
	line = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
	switch {
	case line == "":
		return "", errors.New("empty password on standard input")
	case len(line) > auth.MaxPasswordLen:
		return "", fmt.Errorf("password longer than %d bytes", auth.MaxPasswordLen)
	case !utf8.ValidString(line):
		return "", errors.New("password is not valid UTF-8")
	case strings.ContainsAny(line, "\x00\r\n"):
		return "", errors.New("password contains NUL or a line break")
	}
	return line, nil
}
