/*
 * SourceInfo: find a job's public top-level class and package in its
 * source text, skipping comments, string and character literals and text
 * blocks, so that "public class" inside a comment or a string is ignored.
 */
package jdp;

final class SourceInfo {
	/** The package ("" if none). */
	final String pkg;
	/** The simple name of the first public top-level type, or null. */
	final String name;

	private SourceInfo(String pkg, String name) {
		this.pkg = pkg;
		this.name = name;
	}

	/** The binary name of the class to run, e.g. "a.b.Job". */
	String binaryName() {
		return pkg.isEmpty() ? name : pkg + "." + name;
	}

	static SourceInfo scan(String s) {
		int n = s.length(), i = 0, depth = 0;
		String pkg = "";
		boolean sawPublic = false, sawKind = false, first = true;
		boolean inPackage = false;
		StringBuilder pkgName = null;

		while (i < n) {
			char c = s.charAt(i);
			if (c == '/' && i + 1 < n && s.charAt(i + 1) == '/') {
				while (i < n && s.charAt(i) != '\n')
					i++;
				continue;
			}
			if (c == '/' && i + 1 < n && s.charAt(i + 1) == '*') {
				int e = s.indexOf("*/", i + 2);
				i = e < 0 ? n : e + 2;
				continue;
			}
			if (c == '"' && s.startsWith("\"\"\"", i)) {
				int e = i + 3;
				while (e < n && !s.startsWith("\"\"\"", e))
					e += s.charAt(e) == '\\' ? 2 : 1;
				i = Math.min(n, e + 3);
				sawPublic = sawKind = false;
				continue;
			}
			if (c == '"' || c == '\'') {
				int e = i + 1;
				while (e < n && s.charAt(e) != c && s.charAt(e) != '\n')
					e += s.charAt(e) == '\\' ? 2 : 1;
				i = Math.min(n, e + 1);
				sawPublic = sawKind = false;
				continue;
			}
			if (Character.isJavaIdentifierStart(c)) {
				int e = i + 1;
				while (e < n && Character.isJavaIdentifierPart(s.charAt(e)))
					e++;
				String w = s.substring(i, e);
				i = e;
				if (inPackage) {
					pkgName.append(w);
					continue;
				}
				if (depth != 0)
					continue;
				if (first && w.equals("package")) {
					inPackage = true;
					pkgName = new StringBuilder();
					first = false;
					continue;
				}
				first = false;
				if (sawKind) {
					return new SourceInfo(pkg, w);
				}
				switch (w) {
				case "public":
					sawPublic = true;
					break;
				case "class": case "interface": case "enum": case "record":
					sawKind = sawPublic;
					break;
				case "abstract": case "final": case "static":
				case "strictfp": case "sealed": case "non":
					break;
				default:
					sawPublic = false;
				}
				continue;
			}
			if (Character.isWhitespace(c)) {
				i++;
				continue;
			}
			if (inPackage) {
				if (c == '.')
					pkgName.append('.');
				else if (c == ';') {
					pkg = pkgName.toString();
					inPackage = false;
				}
				i++;
				continue;
			}
			first = false;
			if (c == '{')
				depth++;
			else if (c == '}')
				depth = Math.max(0, depth - 1);
			/* "non-sealed" and annotations keep the modifiers going. */
			if (c != '-' && c != '@' && c != '.' && c != '(' &&
			    c != ')' && c != ',')
				sawPublic = sawKind = false;
			i++;
		}
		return new SourceInfo(pkg, null);
	}
}
