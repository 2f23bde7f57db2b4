package differential

import "syscall"

// sysProcAttr has the kernel stop a server if the test process dies
// without running its cleanups (a panic or a kill).
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
}
