package handlers

// pageOffset is where page number page (from 1) of size rows starts, never past total: a page
// beyond the last is empty, however large its number (no overflow).
func pageOffset(page, size int, total int64) int32 {
	if page < 1 || size < 1 || int64(page-1) >= (total+int64(size)-1)/int64(size) {
		return int32(min(total, 1<<31-1))
	}
	return int32(int64(page-1) * int64(size))
}
