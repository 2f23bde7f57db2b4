package sqlitestore

import (
	"context"
	"errors"
	"testing"
	"time"

	"petrel.dev/petrel/internal/store"
)

func TestUserVouch(t *testing.T) {
	now := time.Unix(1e9, 0)
	type step struct {
		op   string // note, take, forget, wait
		name string
		d    time.Duration // for wait
		want bool          // for take
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"no read, no vouch", []step{{op: "take", name: "a"}}},
		{"one read vouches once", []step{
			{op: "note", name: "a"}, {op: "take", name: "a", want: true}, {op: "take", name: "a"}}},
		{"per name", []step{
			{op: "note", name: "a"}, {op: "take", name: "b"}, {op: "take", name: "a", want: true}}},
		{"just within the TTL", []step{
			{op: "note", name: "a"}, {op: "wait", d: userVouchTTL - time.Nanosecond}, {op: "take", name: "a", want: true}}},
		{"expired", []step{
			{op: "note", name: "a"}, {op: "wait", d: userVouchTTL}, {op: "take", name: "a"}}},
		{"clock going back", []step{
			{op: "note", name: "a"}, {op: "wait", d: -time.Second}, {op: "take", name: "a"}}},
		{"forget withdraws", []step{
			{op: "note", name: "a"}, {op: "forget", name: "a"}, {op: "take", name: "a"}}},
		{"a new read renews", []step{
			{op: "note", name: "a"}, {op: "wait", d: userVouchTTL / 2}, {op: "note", name: "a"},
			{op: "wait", d: userVouchTTL * 3 / 4}, {op: "take", name: "a", want: true}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := now
			v := userVouch{now: func() time.Time { return clock }}
			for i, st := range tt.steps {
				switch st.op {
				case "note":
					v.note(st.name)
				case "forget":
					v.forget(st.name)
				case "wait":
					clock = clock.Add(st.d)
				case "take":
					if got := v.take(st.name); got != st.want {
						t.Fatalf("step %d: take(%q) = %v, want %v", i, st.name, got, st.want)
					}
				}
			}
		})
	}
}

func TestUserVouchBounded(t *testing.T) {
	clock := time.Unix(1e9, 0)
	v := userVouch{now: func() time.Time { return clock }}
	for i := range maxVouched + 100 {
		v.note(string(rune('a'+i%26)) + time.Duration(i).String())
	}
	if len(v.at) != maxVouched {
		t.Fatalf("%d entries, limit %d", len(v.at), maxVouched)
	}
	// Once the entries have expired, a new name makes room.
	clock = clock.Add(userVouchTTL)
	v.note("new")
	if len(v.at) != 1 || !v.take("new") {
		t.Errorf("after expiry: %d entries", len(v.at))
	}
}

// TestOpenAccountChecksUser: OpenAccount refuses a user deleted by
// another process unless the user's row was read an instant before (a
// login's password lookup), and then only once.
func TestOpenAccountChecksUser(t *testing.T) {
	ctx := context.Background()
	s, dir := openTest(t)
	other, err := Open(dir, store.Options{NoMaintenance: true})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if _, err := s.OpenAccount(ctx, "u"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.User(ctx, "u"); err != nil {
		t.Fatal(err)
	}
	if err := other.DeleteUser(ctx, "u", false); err != nil {
		t.Fatal(err)
	}
	// The User read just above vouches for this one call.
	if _, err := s.OpenAccount(ctx, "u"); err != nil {
		t.Fatalf("vouched OpenAccount: %v", err)
	}
	if _, err := s.OpenAccount(ctx, "u"); !errors.Is(err, store.ErrNoUser) {
		t.Fatalf("OpenAccount of a deleted user: %v, want ErrNoUser", err)
	}
	// A failed read vouches for nothing.
	if _, err := s.User(ctx, "u"); !errors.Is(err, store.ErrNoUser) {
		t.Fatal(err)
	}
	if _, err := s.OpenAccount(ctx, "u"); !errors.Is(err, store.ErrNoUser) {
		t.Fatalf("after a failed User: %v", err)
	}
}

// TestDeleteUserWithdrawsVouch: a deletion in this process is seen by the
// next OpenAccount even right after a User read.
func TestDeleteUserWithdrawsVouch(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	if _, err := s.User(ctx, "u"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteUser(ctx, "u", false); err != nil {
		t.Fatal(err)
	}
	if _, err := s.OpenAccount(ctx, "u"); !errors.Is(err, store.ErrNoUser) {
		t.Fatalf("OpenAccount after DeleteUser: %v, want ErrNoUser", err)
	}
}
