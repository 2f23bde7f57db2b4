package search

import "strconv"

// Result summarises a list of ascending message numbers or UIDs for an
// ESEARCH response (RFC 4731, RFC 9051 §6.4.4 result options).
type Result struct {
	// Min and Max are the lowest and highest numbers; both are 0 when
	// Count is 0, and RFC 9051 §6.4.4 says MIN and MAX are then omitted.
	Min, Max uint32
	// Count is the number of numbers (COUNT is always sent).
	Count int
	// All is the numbers as a compressed sequence set such as "1:3,5",
	// "" when Count is 0 (ALL is then omitted).
	All string
}

// Summarize computes the ESEARCH result items of nums, which must be
// ascending, as Eval returns them (or as Env.UIDs maps them).
func Summarize(nums []uint32) Result {
	if len(nums) == 0 {
		return Result{}
	}
	return Result{Min: nums[0], Max: nums[len(nums)-1], Count: len(nums), All: SeqString(nums)}
}

// SeqString formats ascending nums as an RFC 9051 §9 sequence-set, runs of
// consecutive numbers compressed to ranges ("1:3,5"). It returns "" for
// no numbers. Numbers out of order are still written, each starting a new
// range, so the set is always valid.
func SeqString(nums []uint32) string {
	b := make([]byte, 0, 8*min(len(nums), 1024))
	for i := 0; i < len(nums); {
		j := i
		for j+1 < len(nums) && nums[j] != ^uint32(0) && nums[j+1] == nums[j]+1 {
			j++
		}
		if len(b) > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendUint(b, uint64(nums[i]), 10)
		if j > i {
			b = append(b, ':')
			b = strconv.AppendUint(b, uint64(nums[j]), 10)
		}
		i = j + 1
	}
	return string(b)
}
