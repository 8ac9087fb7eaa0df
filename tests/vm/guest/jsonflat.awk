# Flattens the JSON on stdin into one "path=value" line per scalar, for the
# scenarios to compare field by field without jq (not in the guest image):
#   {"volumes":[{"name":"a","dm":{"devnum":"253:0"},"counters":null}]}
# gives
#   volumes.0.name=a
#   volumes.0.dm.devnum=253:0
#   volumes.0.counters=null
# Strings lose their quotes (\" \\ \/ \n \t decoded), numbers, true, false
# and null stay as written; an empty object or array is {} or [].
# Assumes valid JSON: basicdmctl's own output.

function skip_blanks()
{
	while (pos <= len && index(" \t\n\r", substr(text, pos, 1)))
		pos++
}

function read_string(    out, c, e)
{
	pos++	# the opening quote
	out = ""
	while (pos <= len) {
		c = substr(text, pos, 1)
		if (c == "\"") {
			pos++
			return out
		}
		if (c == "\\") {
			e = substr(text, pos + 1, 1)
			if (e == "n")
				out = out "\n"
			else if (e == "t")
				out = out "\t"
			else if (e == "u") {
				out = out "\\u" substr(text, pos + 2, 4)
				pos += 4
			} else
				out = out e
			pos += 2
			continue
		}
		out = out c
		pos++
	}
	return out
}

function join(path, key)
{
	return path == "" ? key : path "." key
}

function read_value(path,    c, key, n, start)
{
	skip_blanks()
	c = substr(text, pos, 1)
	if (c == "{") {
		pos++
		skip_blanks()
		if (substr(text, pos, 1) == "}") {
			pos++
			print path "={}"
			return
		}
		for (;;) {
			skip_blanks()
			key = read_string()
			skip_blanks()
			pos++	# the colon
			read_value(join(path, key))
			skip_blanks()
			c = substr(text, pos++, 1)
			if (c != ",")
				return
		}
	}
	if (c == "[") {
		pos++
		skip_blanks()
		if (substr(text, pos, 1) == "]") {
			pos++
			print path "=[]"
			return
		}
		for (n = 0;; n++) {
			read_value(join(path, n))
			skip_blanks()
			c = substr(text, pos++, 1)
			if (c != ",")
				return
		}
	}
	if (c == "\"") {
		print path "=" read_string()
		return
	}
	start = pos
	while (pos <= len && !index(",}] \t\n\r", substr(text, pos, 1)))
		pos++
	print path "=" substr(text, start, pos - start)
}

{ text = text $0 "\n" }

END {
	len = length(text)
	pos = 1
	read_value("")
}
