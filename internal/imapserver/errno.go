package imapserver

import "syscall"

// syscallEMFILE is retried on Accept like a temporary error.
const syscallEMFILE = syscall.EMFILE
