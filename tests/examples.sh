#!/bin/sh
# examples.sh: what `make install` puts in sysconfdir and the systemd unit
# directory works. The example config parses with jdpd -n using a key made
# by the recipe in its own comments, its commented-out defaults parse too,
# and the generated jdpd@.service runs `jdpd -c .../jdp.conf -i %i -f`
# with every @variable@ substituted (and passes systemd-analyze verify where
# that exists).
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
. "$top_srcdir/tests/integration/lib.sh"

EX="$top_srcdir/daemon/jdp.conf.example"
UNIT="$top_builddir/jdpd@.service"
[ -x "$JDPD" ] || skip_all "no $JDPD (built by make)"

# The key recipe is the comment line that writes /etc/jdp/cluster.key.
recipe=$(sed -n 's|^#[[:space:]]*\(.*/dev/urandom.*\) > /etc/jdp/cluster.key$|\1|p' "$EX")
[ -n "$recipe" ]
ok $? "the example has a key file recipe"
(umask 077 && sh -c "$recipe" >"$T/cluster.key")
like "$(cat "$T/cluster.key")" '^[0-9a-f]{64}$' "the recipe makes 64 hex digits"

sed "s|/etc/jdp/cluster.key|$T/cluster.key|" "$EX" >"$T/jdp.conf"
"$JDPD" -c "$T/jdp.conf" -n >"$T/check.out" 2>&1
rc=$?
ok $rc "jdpd -n accepts the example with that key"
[ $rc -eq 0 ] || sed 's/^/# /' "$T/check.out"
is "$(grep -c '^node ' "$T/check.out")" 4 "it lists four nodes"

# Every commented-out directive is a valid line too.
sed 's/^#\([a-z][a-z-]* \)/\1/' "$T/jdp.conf" >"$T/all.conf"
n=$(grep -c '^[a-z][a-z-]* ' "$T/all.conf")
"$JDPD" -c "$T/all.conf" -n >"$T/all.out" 2>&1
rc=$?
ok $rc "the example with all $n directive lines uncommented parses"
[ $rc -eq 0 ] || sed 's/^/# /' "$T/all.out"

[ -f "$UNIT" ] || skip_all "no $UNIT (built by make)"
exec_start=$(sed -n 's/^ExecStart=//p' "$UNIT")
like "$exec_start" '^/[^ ]*/jdpd -c /[^ ]*/jdp/jdp\.conf -i %i -f$' \
	"jdpd@.service runs node %i of sysconfdir/jdp/jdp.conf in the foreground"
is "$(grep -c '@[a-z]*@' "$UNIT")" 0 "every @variable@ is substituted"
is "$(sed -n 's/^Restart=//p' "$UNIT")" "on-failure" "it restarts on failure"
if command -v systemd-analyze >/dev/null 2>&1; then
	# Verify a copy that runs the build tree's jdpd (it checks the binary).
	sed "s|=[^ ]*/jdpd |=$JDPD |" "$UNIT" >"$T/jdpd@.service"
	ln -s "jdpd@.service" "$T/jdpd@1.service"
	(cd "$T" && systemd-analyze verify --man=no ./jdpd@1.service) \
		>"$T/verify.out" 2>&1
	rc=$?
	ok $rc "systemd-analyze verify accepts jdpd@1.service"
	[ $rc -eq 0 ] || sed 's/^/# /' "$T/verify.out"
else
	echo "ok $((tap_n + 1)) # SKIP no systemd-analyze"
	tap_n=$((tap_n + 1))
fi

done_testing
