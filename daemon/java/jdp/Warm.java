/*
 * Warm: a typical small job that RunHarness runs through its own loading
 * path before it waits for the real job, so that job finds the JVM warm.
 */
package jdp;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

public class Warm {
	private static int runs;

	public String run() {
		List<Integer> l = new ArrayList<>();
		Map<String, Integer> m = new HashMap<>();
		StringBuilder sb = new StringBuilder();
		for (int i = 0; i < 50; i++) {
			l.add(50 - i);
			m.put("k" + i, i);
		}
		Collections.sort(l);
		for (Map.Entry<String, Integer> e : m.entrySet())
			sb.append(e.getKey()).append('=').append(e.getValue());
		String s = "runs " + (++runs) + " " + l.get(0) + " " +
		    Integer.parseInt("42") + sb.length() + Math.max(1, 2);
		System.out.println(s);
		return s.toUpperCase() + String.valueOf(3.5) + l;
	}

	public static void main(String[] args) {
		System.out.println(new Warm().run());
	}
}
