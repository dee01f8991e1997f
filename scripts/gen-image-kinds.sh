#!/bin/sh
# Turn images/kinds.def, the one table of image kinds, into C for criu:
#
#   scripts/gen-image-kinds.sh KINDS.DEF PROTO_DIR OUT_DIR
#
# writes OUT_DIR/image-kinds.h (the head magics and enum img_kind:
# CR_IMG_INVENTORY, ...; cheap to include everywhere) and
# OUT_DIR/image-kinds-table.h (the #includes of the protobuf-c headers and
# the img_kinds[] table; included by criu/image.c only).  The proto file
# that declares each message is found by reading PROTO_DIR/*.proto.
#
# File-name patterns are normalised so that criu passes one unsigned long
# for any integer conversion (%u, %x, %d become %lu, %lx, %ld).
#
# A line that does not parse, an unknown flag or handler, or a pattern with
# more than one conversion stops the build.  A message that no .proto
# declares yet only warns: the kind gets no descriptor and reading it fails
# at run time with a clear message.
set -eu

def=$1
protodir=$2
out=$3

mkdir -p "$out"
tmp_h="$out/image-kinds.h.tmp"
tmp_t="$out/image-kinds-table.h.tmp"

# message name -> proto file (top-level messages only)
msgmap=$(for p in "$protodir"/*.proto; do
	awk -v file="$(basename "$p" .proto)" '
	{
		line = $0
		sub(/\/\/.*/, "", line)
		if (depth == 0 && match(line, /^[ \t]*message[ \t]+[A-Za-z_][A-Za-z0-9_]*/)) {
			m = substr(line, RSTART, RLENGTH)
			sub(/^[ \t]*message[ \t]+/, "", m)
			print m, file
		}
		n = gsub(/\{/, "{", line)
		c = gsub(/\}/, "}", line)
		depth += n - c
	}' "$p"
done)

printf '%s\n' "$msgmap" | awk -v def="$def" -v out_h="$tmp_h" -v out_t="$tmp_t" '
function die(msg) {
	printf("%s:%d: %s\n", def, lineno, msg) > "/dev/stderr"
	failed = 1
	exit 1
}
function cstr(s) {
	return "\"" s "\""
}
# The descriptor expression of message @m, noting the header to include.
function desc(m) {
	if (m == "-")
		return "NULL"
	if (!(m in file)) {
		printf("%s: warning: message %s is in no .proto yet; kind %s gets no descriptor\n",
		       def, m, name) > "/dev/stderr"
		return "NULL"
	}
	incl[file[m]] = 1
	return "&" m "__descriptor"
}
NR == FNR {
	if (NF == 2)
		file[$1] = $2
	next
}
{
	lineno = FNR
	line = $0
	sub(/#.*/, "", line)
	if (line ~ /^[ \t]*$/)
		next
	nf = split(line, f)
	if (f[1] == "@COMMON") { common = f[2]; next }
	if (f[1] == "@SERVICE") { service = f[2]; next }
	if (nf != 6)
		die("expected NAME MAGIC FILE_PATTERN HEAD_MESSAGE ENTRY_MESSAGE FLAGS, got " nf " fields")
	name = f[1]
	if (name !~ /^[A-Z][A-Z0-9_]*$/)
		die("bad kind name " name)
	if (name in seen)
		die("kind " name " listed twice")
	seen[name] = 1
	if (f[2] !~ /^0x[0-9a-fA-F]+$/)
		die("bad magic " f[2])
	nk++
	kname[nk] = name
	magic[nk] = f[2]

	# file-name pattern: at most one conversion
	pat = f[3]
	arg[nk] = "IMG_ARG_NONE"
	if (pat == "-") {
		pattern[nk] = "NULL"
	} else {
		rest = pat
		conv = 0
		outp = ""
		while (match(rest, /%l?[udxs]/)) {
			c = substr(rest, RSTART, RLENGTH)
			outp = outp substr(rest, 1, RSTART - 1)
			rest = substr(rest, RSTART + RLENGTH)
			conv++
			if (c == "%s") {
				arg[nk] = "IMG_ARG_STR"
				outp = outp c
			} else {
				arg[nk] = "IMG_ARG_ID"
				outp = outp "%l" substr(c, length(c), 1)
			}
		}
		outp = outp rest
		if (conv > 1)
			die("pattern " pat " has more than one conversion")
		left = outp
		gsub(/%l[udx]|%s/, "", left)
		if (left ~ /%/)
			die("pattern " pat " has a conversion criu does not handle")
		if (pat ~ /\//)
			die("pattern " pat " is not a plain file name")
		pattern[nk] = cstr(outp)
	}

	head[nk] = desc(f[4])
	entry[nk] = desc(f[5])

	flags[nk] = ""
	extra[nk] = "IMG_EXTRA_NONE"
	xfields[nk] = ""
	xmsg[nk] = "NULL"
	alias[nk] = ""
	if (f[6] != "-") {
		nfl = split(f[6], fl, ",")
		for (i = 1; i <= nfl; i++) {
			x = fl[i]
			if (x == "nocommon")
				flags[nk] = flags[nk] " | IMGK_NO_HEAD_MAGIC"
			else if (x == "service")
				flags[nk] = flags[nk] " | IMGK_SERVICE"
			else if (x == "raw")
				flags[nk] = flags[nk] " | IMGK_RAW"
			else if (x == "old")
				flags[nk] = flags[nk] " | IMGK_OLD"
			else if (x ~ /^alias=[A-Z][A-Z0-9_]*$/)
				alias[nk] = substr(x, 7)
			else if (x ~ /^extra=@/) {
				h = substr(x, 8)
				if (h == "ghost")
					extra[nk] = "IMG_EXTRA_GHOST"
				else if (h == "ipc_shm")
					extra[nk] = "IMG_EXTRA_IPC_SHM"
				else if (h == "ipc_sem")
					extra[nk] = "IMG_EXTRA_IPC_SEM"
				else if (h == "ipc_msg") {
					extra[nk] = "IMG_EXTRA_IPC_MSG"
					xmsg[nk] = desc("ipc_msg")
				} else
					die("unknown extra handler @" h)
			} else if (x ~ /^extra=[a-z_][a-z0-9_]*(\+[a-z_][a-z0-9_]*)*$/) {
				nx = split(substr(x, 7), xf, "+")
				if (nx > 3)
					die("extra= sums at most 3 fields")
				extra[nk] = "IMG_EXTRA_FIELDS"
				for (j = 1; j <= nx; j++)
					xfields[nk] = xfields[nk] cstr(xf[j]) ", "
			} else
				die("unknown flag " x)
		}
	}
	sub(/^ \| /, "", flags[nk])
	if (flags[nk] == "")
		flags[nk] = "0"
	if (f[5] == "-" && flags[nk] !~ /IMGK_RAW/)
		die("kind " name " has no entry message and is not raw")
}
END {
	if (failed)
		exit 1
	if (common == "" || service == "") {
		lineno = 0
		die("@COMMON and @SERVICE magics are required")
	}
	for (i = 1; i <= nk; i++) {
		idx[kname[i]] = i
	}
	for (i = 1; i <= nk; i++) {
		if (alias[i] != "" && !(alias[i] in idx)) {
			lineno = 0
			die("kind " kname[i] " is an alias of unknown kind " alias[i])
		}
	}

	gen = "/* Generated by scripts/gen-image-kinds.sh from images/kinds.def: do not edit. */"
	print gen > out_h
	print "#ifndef CRIU_IMAGE_KINDS_H" > out_h
	print "#define CRIU_IMAGE_KINDS_H" > out_h
	print "" > out_h
	printf("#define IMG_COMMON_MAGIC  %su\n", common) > out_h
	printf("#define IMG_SERVICE_MAGIC %su\n", service) > out_h
	print "" > out_h
	print "enum img_kind {" > out_h
	for (i = 1; i <= nk; i++)
		printf("\tCR_IMG_%s = %d,\n", kname[i], i - 1) > out_h
	printf("\tCR_IMG__NR = %d\n", nk) > out_h
	print "};" > out_h
	print "" > out_h
	print "#endif" > out_h

	print gen > out_t
	print "/* Only criu/image.c includes this: it defines the table. */" > out_t
	n = 0
	for (p in incl)
		names[++n] = p
	# sort the includes for a stable output
	for (i = 2; i <= n; i++) {
		v = names[i]
		for (j = i - 1; j >= 1 && names[j] > v; j--)
			names[j + 1] = names[j]
		names[j + 1] = v
	}
	for (i = 1; i <= n; i++)
		printf("#include \"images/%s.pb-c.h\"\n", names[i]) > out_t
	print "" > out_t
	print "static const struct img_kind_desc img_kinds[CR_IMG__NR] = {" > out_t
	for (i = 1; i <= nk; i++) {
		printf("\t[CR_IMG_%s] = {\n", kname[i]) > out_t
		printf("\t\t.name = \"%s\",\n", kname[i]) > out_t
		printf("\t\t.magic = %su,\n", magic[i]) > out_t
		printf("\t\t.pattern = %s,\n", pattern[i]) > out_t
		printf("\t\t.arg = %s,\n", arg[i]) > out_t
		printf("\t\t.head = %s,\n", head[i]) > out_t
		printf("\t\t.entry = %s,\n", entry[i]) > out_t
		printf("\t\t.flags = %s,\n", flags[i]) > out_t
		printf("\t\t.alias = %s,\n", alias[i] == "" ? "-1" : "CR_IMG_" alias[i]) > out_t
		printf("\t\t.extra = %s,\n", extra[i]) > out_t
		if (xfields[i] != "")
			printf("\t\t.extra_fields = { %sNULL },\n", xfields[i]) > out_t
		printf("\t\t.extra_msg = %s,\n", xmsg[i]) > out_t
		print "\t}," > out_t
	}
	print "};" > out_t
}
' - "$def"

# Replace the outputs only when they change, so that nothing rebuilds for
# an edit of kinds.def that changes no C.
for f in image-kinds.h image-kinds-table.h; do
	if cmp -s "$out/$f.tmp" "$out/$f"; then
		rm -f "$out/$f.tmp"
	else
		mv "$out/$f.tmp" "$out/$f"
	fi
done
