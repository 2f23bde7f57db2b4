//go:build !linux

package differential

import "syscall"

// sysProcAttr is the default elsewhere: only Linux has Pdeathsig.
func sysProcAttr() *syscall.SysProcAttr { return nil }
