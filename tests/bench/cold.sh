# cold.sh: the baseline of every job benchmark (sourced): cold javac + java
# of the trivial job as a main program, 5 times, in directory $1.
# Prints cold_javac_java_ms and its median; sets COLD_MEDIAN.
cold_javac_java() {
	_d=$1
	cat >"$_d/Hello.java" <<'EOJ'
public class Hello {
	public String run() {
		return "Hello " + 6 * 7;
	}

	public static void main(String[] args) {
		System.out.print(new Hello().run());
	}
}
EOJ
	_cold=""
	for _i in 1 2 3 4 5; do
		rm -rf "$_d/c" && mkdir "$_d/c"
		_s=$(date +%s%N)
		javac -d "$_d/c" "$_d/Hello.java"
		_out=$(java -cp "$_d/c" Hello)
		_cold="$_cold $((($(date +%s%N) - _s) / 1000000))"
		[ "$_out" = "Hello 42" ] || { echo "cold run failed: $_out"; exit 1; }
	done
	COLD_MEDIAN=$(printf '%s\n' $_cold | sort -n | sed -n 3p)
	echo "cold_javac_java_ms$_cold"
	echo "cold_javac_java_median_ms $COLD_MEDIAN"
}
