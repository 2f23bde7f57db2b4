#!/usr/bin/env python3
"""Exercise an IMAP server with Python's imaplib, a client users run.

Every IMAP command imaplib offers is sent at least once and its response
checked: CAPABILITY, NOOP, STARTTLS, LOGIN, AUTHENTICATE PLAIN, ENABLE,
NAMESPACE, LIST, LSUB, CREATE, RENAME, DELETE, SUBSCRIBE, UNSUBSCRIBE,
STATUS, APPEND, SELECT, EXAMINE, SEARCH (with CHARSET UTF-8 and a literal),
FETCH, STORE, COPY, MOVE, the UID forms, IDLE (sent raw: imaplib lacks it),
CHECK, EXPUNGE, UNSELECT, CLOSE and LOGOUT.

Usage: imaplib_test.py --host H --port P --user U --password PW [--ssl]

Without --ssl the plain port is used and upgraded with STARTTLS. The
server's certificate is not verified (test servers are self-signed).
Stops at the first failure with a message on stderr and exit status 1;
on success prints "N passed, 0 failed".
"""

import argparse
import imaplib
import re
import socket
import ssl
import sys
import time
import traceback

PASSED = 0


class Failure(Exception):
    """A check failed; the message says which and what was seen."""


def check(cond, what):
    """Count one passed check, or raise Failure describing it."""
    global PASSED
    if not cond:
        raise Failure(what)
    PASSED += 1


def ok(resp, what):
    """Check that an imaplib (typ, data) answer is OK and return data."""
    typ, data = resp
    check(typ == "OK", "%s: got %s %r" % (what, typ, data))
    return data


def fails(fn, what):
    """Check that fn raises imaplib's error (a NO or BAD answer)."""
    try:
        resp = fn()
    except imaplib.IMAP4.error:
        check(True, what)
        return
    check(resp[0] != "OK", "%s: expected NO or BAD, got %r" % (what, resp))


def tls_context():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def connect(args):
    if args.ssl:
        return imaplib.IMAP4_SSL(args.host, args.port, ssl_context=tls_context(), timeout=10)
    return imaplib.IMAP4(args.host, args.port, timeout=10)


def caps_of(m):
    return {c.upper() for c in m.capabilities}


def message(subject, body, extra=""):
    return ("From: Py <py@example.org>\r\nTo: alice@example.org\r\n"
            "Subject: %s\r\nDate: Wed, 04 Jan 2006 08:00:00 +0000\r\n%s\r\n%s\r\n"
            % (subject, extra, body)).encode("utf-8")


def fetch_flags(m, seq, uid=False):
    """FETCH FLAGS of one message; return the flags as a set of strings."""
    if uid:
        data = ok(m.uid("FETCH", seq, "(FLAGS)"), "UID FETCH %s (FLAGS)" % seq)
    else:
        data = ok(m.fetch(seq, "(FLAGS)"), "FETCH %s (FLAGS)" % seq)
    for item in data:
        if isinstance(item, bytes):
            mt = re.search(rb"FLAGS \(([^)]*)\)", item)
            if mt:
                # \Recent is IMAP4rev1 session state, not a stored flag.
                return {f.decode() for f in mt.group(1).split()} - {"\\Recent"}
    raise Failure("FETCH %s (FLAGS): no FLAGS in %r" % (seq, data))


def search(m, *criteria, charset=None, uid=False):
    if uid:
        data = ok(m.uid("SEARCH", *criteria), "UID SEARCH %s" % (criteria,))
    else:
        data = ok(m.search(charset, *criteria), "SEARCH %s" % (criteria,))
    return [int(x) for x in b" ".join(d for d in data if d).split()]


def test_greeting_tls_auth(args):
    """CAPABILITY, NOOP, STARTTLS, failed LOGIN, AUTHENTICATE PLAIN, LOGOUT."""
    m = connect(args)
    caps = caps_of(m)
    check("IMAP4REV1" in caps or "IMAP4REV2" in caps, "CAPABILITY lacks IMAP4rev1/rev2: %s" % caps)
    data = ok(m.capability(), "CAPABILITY")
    check(b"IMAP4" in data[0].upper(), "CAPABILITY answer %r" % data)
    ok(m.noop(), "NOOP (not authenticated)")
    if not args.ssl:
        # RFC 9051 §6.2.1: STARTTLS on the plain port.
        check("STARTTLS" in caps, "plain port does not offer STARTTLS: %s" % caps)
        ok(m.starttls(ssl_context=tls_context()), "STARTTLS")
        check(isinstance(m.sock, ssl.SSLSocket), "STARTTLS did not wrap the socket")
        # imaplib re-reads CAPABILITY after STARTTLS.
        check("STARTTLS" not in caps_of(m), "STARTTLS still offered after TLS: %s" % caps_of(m))
    check("AUTH=PLAIN" in caps_of(m), "AUTH=PLAIN not offered over TLS: %s" % caps_of(m))
    fails(lambda: m.login(args.user, args.password + "-wrong"), "LOGIN with a wrong password")
    # RFC 4616 PLAIN: authzid NUL authcid NUL password.
    ok(m.authenticate("PLAIN", lambda _: ("\0%s\0%s" % (args.user, args.password)).encode()),
       "AUTHENTICATE PLAIN")
    check(m.state == "AUTH", "state after AUTHENTICATE is %s" % m.state)
    ok(m.noop(), "NOOP (authenticated)")
    typ, data = m.logout()
    check(typ == "BYE", "LOGOUT: got %s %r" % (typ, data))


def test_mailboxes(m, caps):
    """NAMESPACE, LIST, CREATE, RENAME, SUBSCRIBE, LSUB, STATUS, DELETE."""
    data = ok(m.namespace(), "NAMESPACE")
    check(data and data[0].startswith(b"(("), "NAMESPACE personal namespace: %r" % data)
    data = ok(m.list('""', '""'), 'LIST "" ""')
    mt = re.match(rb'\([^)]*\) (?:"(.)"|NIL)', data[0] or b"")
    check(mt is not None, 'LIST "" "" answer %r' % data)
    delim = (mt.group(1) or b"/").decode()
    data = ok(m.list(), "LIST")
    check(any(re.search(rb'[ "]INBOX"?$', d, re.I) for d in data if d), "LIST lacks INBOX: %r" % data)

    ok(m.create("py-test"), "CREATE py-test")
    ok(m.create("py-test%schild" % delim), "CREATE py-test/child")
    fails(lambda: m.create("py-test"), "CREATE of an existing mailbox")
    ok(m.rename("py-test", "py-renamed"), "RENAME")
    data = ok(m.list('""', "py-*"), "LIST py-*")
    names = b"\n".join(d for d in data if d)
    check(b"py-renamed" in names and b"py-renamed" + delim.encode() + b"child" in names,
          "LIST after RENAME lacks the new names: %r" % data)
    check(b"py-test" not in names, "LIST after RENAME still has the old name: %r" % data)

    ok(m.subscribe("py-renamed"), "SUBSCRIBE")
    if "IMAP4REV1" in caps:
        data = ok(m.lsub('""', "py-*"), "LSUB")
        check(any(d and d.endswith(b"py-renamed") for d in data), "LSUB lacks py-renamed: %r" % data)
    ok(m.unsubscribe("py-renamed"), "UNSUBSCRIBE")
    if "IMAP4REV1" in caps:
        data = ok(m.lsub('""', "py-*"), "LSUB after UNSUBSCRIBE")
        check(not any(d and d.endswith(b"py-renamed") for d in data), "LSUB still lists py-renamed: %r" % data)

    ok(m.delete("py-renamed%schild" % delim), "DELETE child")
    ok(m.delete("py-renamed"), "DELETE")
    fails(lambda: m.delete("py-renamed"), "DELETE of a missing mailbox")

    items = "(MESSAGES UIDNEXT UIDVALIDITY UNSEEN)"
    data = ok(m.status("INBOX", items), "STATUS INBOX")
    check(re.search(rb"MESSAGES 0\b", data[0]) is not None, "STATUS of an empty INBOX: %r" % data)
    return delim


def test_messages(m, args, caps):
    """APPEND, SELECT, EXAMINE, SEARCH, FETCH, STORE, COPY, MOVE, UID, EXPUNGE, CLOSE."""
    date = imaplib.Time2Internaldate(time.mktime((2020, 5, 17, 10, 11, 12, 0, 0, -1)))
    msgs = [
        message("first apple", "plain body one"),
        message("second banana", "caf\u00e9 au lait",
                "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n"),
        message("third cherry", "plain body three"),
    ]
    data = ok(m.append("INBOX", r"(\Flagged $Py)", date, msgs[0]), "APPEND with flags and date")
    if "UIDPLUS" in caps or "IMAP4REV2" in caps:
        check(re.search(rb"\[APPENDUID \d+ \d+\]", data[0]) is not None, "APPEND lacks APPENDUID: %r" % data)
    ok(m.append("INBOX", None, None, msgs[1]), "APPEND 8-bit UTF-8")
    ok(m.append("INBOX", r"(\Seen)", None, msgs[2]), "APPEND \\Seen")

    data = ok(m.select("INBOX", readonly=True), "EXAMINE")
    check(data == [b"3"], "EXAMINE: EXISTS %r, want 3" % data)
    # RFC 9051 §6.3.3: no change to the mailbox in read-only mode. A NO is
    # usual; Dovecot answers "OK Store ignored", which changes nothing too.
    try:
        m.store("1", "+FLAGS", r"(\Deleted)")
    except imaplib.IMAP4.error:
        pass
    check("\\Deleted" not in fetch_flags(m, "1"), "STORE in an EXAMINEd mailbox changed flags")

    data = ok(m.select("INBOX"), "SELECT")
    check(data == [b"3"], "SELECT: EXISTS %r, want 3" % data)
    typ, data = m.response("UIDVALIDITY")
    check(data and data[0] and int(data[0]) > 0, "SELECT lacks UIDVALIDITY: %r" % data)

    # SEARCH
    check(search(m, "ALL") == [1, 2, 3], "SEARCH ALL")
    check(search(m, "FLAGGED") == [1], "SEARCH FLAGGED")
    check(search(m, "KEYWORD", "$Py") == [1], "SEARCH KEYWORD $Py")
    check(search(m, "UNSEEN") == [1, 2], "SEARCH UNSEEN")
    check(search(m, "SUBJECT", "banana") == [2], "SEARCH SUBJECT")
    check(search(m, "TEXT", '"body three"') == [3], "SEARCH TEXT")
    check(search(m, "OR", "SUBJECT", "apple", "SUBJECT", "cherry") == [1, 3], "SEARCH OR")
    check(search(m, "2:3", "NOT", "SEEN") == [2], "SEARCH seq set NOT SEEN")
    # RFC 9051 §6.4.4: CHARSET UTF-8 with the search string as a literal;
    # the body is matched after decoding.
    m.literal = "caf\u00e9".encode("utf-8")
    check(search(m, "BODY", charset="UTF-8") == [2], "SEARCH CHARSET UTF-8 BODY {literal}")
    m.literal = "CAF\u00c9".encode("utf-8")
    check(search(m, "TEXT", charset="UTF-8") == [2], "SEARCH CHARSET UTF-8 TEXT, case-insensitive non-ASCII")
    fails(lambda: m.search("X-NO-SUCH-CHARSET", "ALL"), "SEARCH with an unknown CHARSET")

    # FETCH
    data = ok(m.fetch("1", "(FLAGS INTERNALDATE RFC822.SIZE UID)"), "FETCH 1 attributes")
    line = data[0]
    check(b"\\Flagged" in line and b"$Py" in line, "FETCH FLAGS: %r" % line)
    check(b'INTERNALDATE "17-May-2020 10:11:12' in line, "FETCH INTERNALDATE: %r" % line)
    check(re.search(rb"RFC822\.SIZE %d\b" % len(msgs[0]), line) is not None, "FETCH RFC822.SIZE: %r" % line)
    data = ok(m.fetch("1", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])"), "FETCH BODY.PEEK[HEADER.FIELDS]")
    check(isinstance(data[0], tuple) and data[0][1] == b"Subject: first apple\r\n\r\n",
          "BODY.PEEK[HEADER.FIELDS (SUBJECT)]: %r" % (data,))
    data = ok(m.fetch("2", "(BODY.PEEK[])"), "FETCH BODY.PEEK[]")
    check(isinstance(data[0], tuple) and data[0][1] == msgs[1], "BODY.PEEK[] differs from the appended bytes: %r" % (data,))
    data = ok(m.fetch("2", "(BODY.PEEK[]<0.10>)"), "FETCH BODY.PEEK[]<0.10>")
    check(b"BODY[]<0>" in data[0][0] and data[0][1] == msgs[1][:10], "BODY[]<0.10>: %r" % (data,))
    data = ok(m.fetch("2", "(BODY.PEEK[TEXT])"), "FETCH BODY.PEEK[TEXT]")
    check(data[0][1] == "caf\u00e9 au lait\r\n".encode("utf-8"), "BODY[TEXT]: %r" % (data,))
    check("\\Seen" not in fetch_flags(m, "2"), "BODY.PEEK set \\Seen")
    ok(m.fetch("2", "(BODY[TEXT])"), "FETCH BODY[TEXT]")
    check("\\Seen" in fetch_flags(m, "2"), "BODY[TEXT] did not set \\Seen")
    data = ok(m.fetch("1:3", "(ENVELOPE)"), "FETCH ENVELOPE")
    check(len([d for d in data if d and b"ENVELOPE" in (d if isinstance(d, bytes) else d[0])]) == 3,
          "FETCH 1:3 ENVELOPE answered %r" % data)
    check(b'"first apple"' in data[0], "ENVELOPE subject: %r" % data[0])
    data = ok(m.fetch("1", "(BODYSTRUCTURE)"), "FETCH BODYSTRUCTURE")
    check(re.search(rb'BODYSTRUCTURE \("TEXT" "PLAIN"', data[0], re.I) is not None, "BODYSTRUCTURE: %r" % data)

    # STORE
    data = ok(m.store("3", "+FLAGS", r"(\Answered)"), "STORE +FLAGS")
    check(data and data[0] and b"\\Answered" in data[0], "STORE +FLAGS answer: %r" % data)
    data = ok(m.store("3", "-FLAGS.SILENT", r"(\Seen)"), "STORE -FLAGS.SILENT")
    check(data == [None], "STORE .SILENT answered FETCH data: %r" % data)
    check(fetch_flags(m, "3") == {"\\Answered"}, "flags after STORE: %r" % fetch_flags(m, "3"))
    ok(m.store("3", "FLAGS", r"(\Draft)"), "STORE FLAGS")
    check(fetch_flags(m, "3") == {"\\Draft"}, "flags after STORE FLAGS: %r" % fetch_flags(m, "3"))

    # UID forms
    uids = search(m, "ALL", uid=True)
    check(len(uids) == 3 and uids == sorted(uids), "UID SEARCH ALL: %r" % uids)
    check(search(m, "UID", str(uids[1]), uid=True) == [uids[1]], "UID SEARCH UID")
    data = ok(m.uid("FETCH", str(uids[0]), "(FLAGS)"), "UID FETCH")
    check(re.search(rb"UID %d\b" % uids[0], data[0]) is not None, "UID FETCH lacks UID: %r" % data)
    ok(m.uid("STORE", str(uids[0]), "+FLAGS", r"(\Seen)"), "UID STORE")
    check("\\Seen" in fetch_flags(m, str(uids[0]), uid=True), "UID STORE did not set \\Seen")

    # COPY / UID COPY / MOVE / UID MOVE
    ok(m.create("py-dest"), "CREATE py-dest")
    data = ok(m.copy("1", "py-dest"), "COPY")
    if "UIDPLUS" in caps or "IMAP4REV2" in caps:
        check(re.search(rb"\[COPYUID \d+ \d+ \d+\]", data[0]) is not None, "COPY lacks COPYUID: %r" % data)
    ok(m.uid("COPY", str(uids[1]), "py-dest"), "UID COPY")
    fails(lambda: m.copy("1", "py-no-such-mailbox"), "COPY to a missing mailbox")
    check("MOVE" in caps or "IMAP4REV2" in caps, "MOVE not advertised: %s" % caps)
    typ, data = m._simple_command("MOVE", "3", "py-dest")
    check(typ == "OK", "MOVE: %s %r" % (typ, data))
    typ, data = m.response("EXPUNGE")
    check(data == [b"3"], "MOVE 3: EXPUNGE responses %r" % data)
    ok(m.uid("MOVE", str(uids[1]), "py-dest"), "UID MOVE")
    check(search(m, "ALL") == [1], "INBOX after two MOVEs")
    data = ok(m.status("py-dest", "(MESSAGES)"), "STATUS py-dest")
    check(re.search(rb"MESSAGES 4\b", data[0]) is not None, "STATUS after COPY x2 + MOVE x2: %r" % data)
    if "STATUS=SIZE" in caps or "IMAP4REV2" in caps:
        data = ok(m.status("py-dest", "(SIZE)"), "STATUS SIZE")
        want = len(msgs[0]) + 2 * len(msgs[1]) + len(msgs[2])
        check(re.search(rb"SIZE %d\b" % want, data[0]) is not None, "STATUS SIZE: %r, want %d" % (data, want))

    # CHECK (IMAP4rev1 only; RFC 9051 Appendix E removed it).
    if "IMAP4REV1" in caps:
        ok(m.check(), "CHECK")

    # EXPUNGE in py-dest: delete 2 and 4 → "* 4 EXPUNGE", "* 2 EXPUNGE" or
    # "* 2 EXPUNGE", "* 3 EXPUNGE".
    ok(m.select("py-dest"), "SELECT py-dest")
    ok(m.store("2,4", "+FLAGS.SILENT", r"(\Deleted)"), "STORE \\Deleted")
    data = ok(m.expunge(), "EXPUNGE")
    check(data in ([b"4", b"2"], [b"2", b"3"]), "EXPUNGE responses %r" % data)
    check(search(m, "ALL") == [1, 2], "after EXPUNGE")
    ok(m.unselect(), "UNSELECT")
    fails(lambda: m.fetch("1", "(FLAGS)"), "FETCH after UNSELECT")
    ok(m.select("py-dest"), "SELECT py-dest again")
    ok(m.store("1", "+FLAGS.SILENT", r"(\Deleted)"), "STORE \\Deleted")
    ok(m.close(), "CLOSE")
    data = ok(m.status("py-dest", "(MESSAGES)"), "STATUS after CLOSE")
    check(re.search(rb"MESSAGES 1\b", data[0]) is not None, "CLOSE did not expunge: %r" % data)
    ok(m.delete("py-dest"), "DELETE py-dest")


def test_idle(m, args):
    """IDLE, sent raw: imaplib (3.11) has no idle()."""
    before = int(ok(m.select("INBOX"), "SELECT")[0])
    tag = m._new_tag()
    m.send(tag + b" IDLE\r\n")
    m.sock.settimeout(10)
    line = m.readline()
    check(line.startswith(b"+"), "IDLE: expected continuation, got %r" % line)
    other = connect(args)
    ok(other.login(args.user, args.password), "second session LOGIN")
    start = time.monotonic()
    ok(other.append("INBOX", None, None, message("during idle", "wake up")), "APPEND from the second session")
    want = b"* %d EXISTS" % (before + 1)
    while True:
        line = m.readline()
        check(line != b"", "IDLE: connection closed while waiting for %r" % want)
        if line.rstrip(b"\r\n") == want:
            break
        check(line.startswith(b"* "), "IDLE: unexpected %r while waiting for %r" % (line, want))
    check(time.monotonic() - start < 5, "IDLE: EXISTS took %.1fs" % (time.monotonic() - start))
    m.send(b"DONE\r\n")
    while True:
        line = m.readline()
        check(line != b"", "IDLE: connection closed after DONE")
        if line.startswith(tag + b" "):
            break
    check(line.startswith(tag + b" OK"), "IDLE completion: %r" % line)
    other.logout()
    ok(m.noop(), "NOOP after IDLE")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--host", required=True)
    ap.add_argument("--port", required=True, type=int)
    ap.add_argument("--user", required=True)
    ap.add_argument("--password", required=True)
    ap.add_argument("--ssl", action="store_true", help="implicit TLS instead of STARTTLS")
    ap.add_argument("--debug", type=int, default=0, help="imaplib debug level")
    args = ap.parse_args()
    imaplib.Debug = args.debug
    socket.setdefaulttimeout(10)
    try:
        test_greeting_tls_auth(args)
        m = connect(args)
        if not args.ssl:
            ok(m.starttls(ssl_context=tls_context()), "STARTTLS")
        ok(m.login(args.user, args.password), "LOGIN")
        check(m.state == "AUTH", "state after LOGIN is %s" % m.state)
        data = ok(m.capability(), "CAPABILITY after LOGIN")
        caps = {c.upper() for c in data[0].decode().split()}
        if "ENABLE" in caps or "IMAP4REV2" in caps:
            # RFC 5161 §3.1: unknown extensions are ignored. imaplib's
            # enable() would refuse when the greeting lacked ENABLE.
            typ, data = m._simple_command("ENABLE", "X-PY-UNKNOWN")
            check(typ == "OK", "ENABLE of an unknown extension: %s %r" % (typ, data))
        test_mailboxes(m, caps)
        test_messages(m, args, caps)
        test_idle(m, args)
        typ, data = m.logout()
        check(typ == "BYE", "LOGOUT: %s %r" % (typ, data))
    except Failure as e:
        print("FAIL: %s" % e, file=sys.stderr)
        print("%d passed, 1 failed" % PASSED)
        return 1
    except (imaplib.IMAP4.error, OSError) as e:
        print("FAIL: unexpected %s: %s" % (type(e).__name__, e), file=sys.stderr)
        traceback.print_exc()
        print("%d passed, 1 failed" % PASSED)
        return 1
    print("%d passed, 0 failed" % PASSED)
    return 0


if __name__ == "__main__":
    sys.exit(main())
