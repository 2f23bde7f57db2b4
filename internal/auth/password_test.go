package auth

import (
	"errors"
	"strings"
	"testing"
)

// cheap are fast argon2 parameters so tests do not spend seconds hashing.
var cheap = params{memory: 64, time: 1, threads: 1, saltLen: 16, keyLen: 32}

func TestHashPasswordFormat(t *testing.T) {
	h, err := HashPassword("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=65536,t=1,p=1$") {
		t.Fatalf("hash %q lacks the expected PHC prefix", h)
	}
	ok, err := VerifyPassword(h, "correct horse")
	if err != nil || !ok {
		t.Fatalf("VerifyPassword(right) = %v, %v", ok, err)
	}
	ok, err = VerifyPassword(h, "correct horsE")
	if err != nil || ok {
		t.Fatalf("VerifyPassword(wrong) = %v, %v", ok, err)
	}
	h2, _ := HashPassword("correct horse")
	if h2 == h {
		t.Fatal("two hashes of one password are equal: salt not random")
	}
}

func TestHashPasswordRejects(t *testing.T) {
	for _, pw := range []string{"", strings.Repeat("x", MaxPasswordLen+1)} {
		if _, err := hashWith(cheap, pw); err == nil {
			t.Errorf("hashWith(len %d) succeeded", len(pw))
		}
	}
	if _, err := hashWith(cheap, strings.Repeat("x", MaxPasswordLen)); err != nil {
		t.Errorf("hashWith(max len): %v", err)
	}
}

func TestVerifyPasswordMalformed(t *testing.T) {
	good, err := hashWith(cheap, "pw")
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(good, "$") // "", argon2id, v=19, params, salt, hash
	salt, key := parts[4], parts[5]
	cases := map[string]string{
		"empty":         "",
		"plain text":    "secret",
		"argon2i":       "$argon2i$v=19$m=64,t=1,p=1$" + salt + "$" + key,
		"bcrypt":        "$2a$10$abcdefghijklmnopqrstuv",
		"old version":   "$argon2id$v=16$m=64,t=1,p=1$" + salt + "$" + key,
		"missing p":     "$argon2id$v=19$m=64,t=1$" + salt + "$" + key,
		"dup m":         "$argon2id$v=19$m=64,m=64,t=1,p=1$" + salt + "$" + key,
		"unknown param": "$argon2id$v=19$m=64,t=1,p=1,x=1$" + salt + "$" + key,
		"zero t":        "$argon2id$v=19$m=64,t=0,p=1$" + salt + "$" + key,
		"huge m":        "$argon2id$v=19$m=4294967295,t=1,p=1$" + salt + "$" + key,
		"huge t":        "$argon2id$v=19$m=64,t=1000,p=1$" + salt + "$" + key,
		"p 256":         "$argon2id$v=19$m=4096,t=1,p=256$" + salt + "$" + key,
		"m below 8p":    "$argon2id$v=19$m=8,t=1,p=2$" + salt + "$" + key,
		"bad salt b64":  "$argon2id$v=19$m=64,t=1,p=1$!!!!$" + key,
		"short salt":    "$argon2id$v=19$m=64,t=1,p=1$AAAA$" + key,
		"short key":     "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$AAAA",
		"extra field":   good + "$x",
		"no leading $":  strings.TrimPrefix(good, "$"),
		"too long":      good + strings.Repeat("A", maxHashLen),
	}
	for name, h := range cases {
		t.Run(name, func(t *testing.T) {
			ok, err := VerifyPassword(h, "pw")
			if ok || !errors.Is(err, ErrMalformedHash) {
				t.Fatalf("VerifyPassword(%q) = %v, %v; want ErrMalformedHash", h, ok, err)
			}
		})
	}
	if ok, err := VerifyPassword(good, "pw"); !ok || err != nil {
		t.Fatalf("VerifyPassword(good) = %v, %v", ok, err)
	}
	if ok, err := VerifyPassword(good, strings.Repeat("x", MaxPasswordLen+1)); ok || err != nil {
		t.Fatalf("VerifyPassword(too long) = %v, %v", ok, err)
	}
}
