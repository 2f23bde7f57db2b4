package message

import "testing"

func TestFindPart(t *testing.T) {
	const msg = "Content-Type: multipart/mixed; boundary=b\r\n\r\n" +
		"--b\r\nContent-Type: text/plain\r\n\r\nA\r\n" +
		"--b\r\nContent-Type: message/rfc822\r\n\r\n" +
		"Content-Type: multipart/alternative; boundary=c\r\n\r\n" +
		"--c\r\n\r\nB\r\n--c\r\n\r\nC\r\n--c--\r\n" +
		"--b\r\nContent-Type: message/rfc822\r\n\r\nSubject: x\r\n\r\nD\r\n" +
		"--b--\r\n"
	m := mustParse(t, msg)
	body := func(p *Part) string { return msg[p.BodyOffset:p.BodyEnd] }
	tests := []struct {
		path []int
		want string // body, or "" for ErrNoPart
	}{
		{[]int{1}, "A"},
		{[]int{2, 1}, "B"},
		{[]int{2, 2}, "C"},
		{[]int{3, 1}, "D"},
		{[]int{1, 1}, ""},
		{[]int{2, 3}, ""},
		{[]int{4}, ""},
		{[]int{0}, ""},
		{[]int{3, 2}, ""},
		{[]int{2, 1, 1}, ""},
	}
	for _, tt := range tests {
		p, err := m.FindPart(tt.path)
		switch {
		case tt.want == "" && err != ErrNoPart:
			t.Errorf("%v: got %v, want ErrNoPart", tt.path, err)
		case tt.want != "" && (err != nil || body(p) != tt.want):
			t.Errorf("%v: got %v %q, want %q", tt.path, err, body(p), tt.want)
		}
	}
	if p, err := m.FindPart(nil); err != nil || p != m.Root {
		t.Errorf("[]: %v %v", p, err)
	}
	single := mustParse(t, "Subject: x\r\n\r\nbody")
	if p, err := single.FindPart([]int{1}); err != nil || p != single.Root {
		t.Errorf("single [1]: %v %v", p, err)
	}
	if _, err := single.FindPart([]int{2}); err != ErrNoPart {
		t.Errorf("single [2]: %v", err)
	}
}
