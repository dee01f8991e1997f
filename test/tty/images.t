#!/bin/bash
# Terminal images that do not hold together are refused on restore, by
# name, and nothing is left running: tty-info.img missing, an entry of a
# type not supported (EXT_TTY), a pty whose id and index disagree, bytes
# for a terminal that does not exist.  The untouched images restore.
. "$(dirname "$0")/../lib/lib.sh"
PROG=$CRIU_TOP/${BUILD:-build}/test/cr/tty-pty

if [ ! -x "$PROG" ]; then
	skip "tty images: $PROG is not built"
	exit 0
fi
mkdir -p "$T/img"
rm -f "$T/ready"
CRTEST_READY=$T/ready spawn_clean "$PROG" </dev/null >"$T/out" 2>&1
if ! wait_for 10 test -e "$T/ready"; then
	fail "tty images: the test program did not start"
	exit 0
fi
if ! "$CRIU" dump -t "$pid" -D "$T/img" -o dump.log 2>"$T/err"; then
	fail "tty images: dump failed: $(head -1 "$T/err")"
	exit 0
fi
wait_for 5 gone "$pid"
reap "$pid"

# try NAME WANT EDIT: copy the images, EDIT them (a function run in the copy), restore: must fail with WANT
try() {
	local name=$1 want=$2 edit=$3 d=$T/$1
	rm -rf "$d"
	cp -r "$T/img" "$d"
	(cd "$d" && $edit)
	if "$CRIU" restore -D "$d" -d -o restore.log 2>"$d/err"; then
		fail "tty images: $name: restored"
	elif ! grep -q -- "$want" "$d/err"; then
		fail "tty images: $name: no '$want' in: $(grep -m1 Error "$d/err")"
	elif ! gone "$pid"; then
		fail "tty images: $name: the task is running"
	else
		pass "tty images: $name is refused"
	fi
	kill -9 "$pid" 2>/dev/null
}

# edit_info PYTHON: run PYTHON on the decoded tty-info.img (variable e: the entries)
edit_info() {
	"$CRIT" decode -i tty-info.img -o info.json &&
		/usr/bin/python3 -c "import json,sys
d=json.load(open('info.json')); e=d['entries']
$1
json.dump(d,open('info.json','w'))" &&
		"$CRIT" encode -i info.json -o tty-info.img
}

no_info() { rm tty-info.img; }
ext_tty() { edit_info "e[0]['type']='EXT_TTY'; e[0].pop('pty',None)"; }
bad_index() { edit_info "[x['pty'].__setitem__('index', x['pty']['index']+7) for x in e if 'pty' in x]"; }
short_cc() { edit_info "[x['termios'].__setitem__('c_cc', x['termios']['c_cc'][:5]) for x in e if 'termios' in x]"; }
stray_data() {
	"$CRIT" decode -i tty-data.img -o data.json &&
		/usr/bin/python3 -c "import json
d=json.load(open('data.json')); d['entries'][0]['tty_id']=1999
json.dump(d,open('data.json','w'))" &&
		"$CRIT" encode -i data.json -o tty-data.img
}

try "a missing tty-info.img" "which tty-info.img lacks" no_info
try "an EXT_TTY terminal" "not supported yet" ext_tty
try "a pty whose index is not its id's" "has index" bad_index
try "termios with 5 control characters" "control characters" short_cc
if [ -e "$T/img/tty-data.img" ]; then
	try "bytes for a terminal that is not there" "not in tty-info.img" stray_data
else
	fail "tty images: the dump wrote no tty-data.img (the program leaves bytes in its pty)"
fi

# CRIU writes a REG entry (the terminal's path) with the id of each TTY
# entry: such images restore, the TTY entry being the file.
criu_style() {
	"$CRIT" decode -i files.img -o files.json &&
		/usr/bin/python3 -c "import json
d=json.load(open('files.json')); e=d['entries']
e += [{'id': x['id'], 'type': 'REG', 'reg': {'id': x['id'], 'flags': 'O_RDWR', 'pos': 0,
	'fown': {'uid': 0, 'euid': 0, 'signum': 0, 'pid_type': 0, 'pid': 0}, 'name': '/dev/pts/999'}}
	for x in list(e) if x['type'] == 'TTY']
json.dump(d, open('files.json', 'w'))" &&
		"$CRIT" encode -i files.json -o files.img
}
rm -rf "$T/criu-style"
cp -r "$T/img" "$T/criu-style"
if ! (cd "$T/criu-style" && criu_style); then
	fail "tty images: can't add CRIU's REG entries"
elif ! "$CRIU" restore -D "$T/criu-style" -d -o restore.log 2>"$T/criu-style/err"; then
	fail "tty images: a REG entry beside each TTY one (as CRIU writes): $(grep -m1 Error "$T/criu-style/err")"
elif gone "$pid"; then
	fail "tty images: a REG entry beside each TTY one: the task is not running"
else
	pass "tty images: a REG entry beside each TTY one (as CRIU writes) restores"
fi
kill -9 "$pid" 2>/dev/null
wait_for 5 gone "$pid"

if "$CRIU" restore -D "$T/img" -d -o restore.log 2>"$T/err"; then
	kill -TERM "$pid"
	wait_for 10 gone "$pid"
	grep -q '^PASS' "$T/out" && pass "tty images: the untouched images restore" ||
		fail "tty images: restored, then: $(tail -1 "$T/out")"
else
	fail "tty images: the untouched images do not restore: $(grep -m1 Error "$T/err")"
fi
kill -9 "$pid" 2>/dev/null
exit 0
