package differential

// allowed lists the classes of difference between Dovecot and Petrel that
// docs/message-model.md explains (section "Differences from Dovecot"), each
// with its section there. A class missing from this list fails the test.
var allowed = map[string]string{
	"BINARY.SIZE[n] value, petrel's = length of the same BINARY[n] from both": "docs/message-model.md §D1 (RFC 3516 §4.3)",
	"BINARY.SIZE[n] value, multipart or message part":                         "docs/message-model.md §D2 (RFC 3516 §4.2)",
	"BINARY.SIZE[n] dovecot NO, petrel OK":                                    "docs/message-model.md §D3 (RFC 2045 §6.7, §6.8)",
	"BINARY.SIZE[n] dovecot DISCONNECTED, petrel OK":                          "docs/message-model.md §D4 (RFC 2045 §6.8)",
	"BODY structure: list length dovecot 7 petrel 8":                          "docs/message-model.md §D5 (RFC 2045 §5.2)",
	"BODYSTRUCTURE structure: list length dovecot 11 petrel 12":               "docs/message-model.md §D5 (RFC 2045 §5.2)",
	"RFC822.SIZE value (CR CR LF in message)":                                 "docs/message-model.md §D6 (RFC 9051 §2.3.4)",
	"BODY[TEXT] value (CR CR LF in message)":                                  "docs/message-model.md §D6 (RFC 9051 §6.3.12)",
	"BODY[n] value (CR CR LF in message)":                                     "docs/message-model.md §D6 (RFC 9051 §6.3.12)",
	"BODY text.size: value (CR CR LF in message)":                             "docs/message-model.md §D6 (RFC 9051 §6.3.12)",
	"BINARY.SIZE[n] value (CR CR LF in message)":                              "docs/message-model.md §D6 (RFC 9051 §6.3.12)",
	"BODYSTRUCTURE text.size: value (CR CR LF in message)":                    "docs/message-model.md §D6 (RFC 9051 §6.3.12)",
}
