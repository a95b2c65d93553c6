package dev.snapstore.dm;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The kernel's and dmsetup's small text rules, in one place so that tables and statuses agree. */
final class KernelText {

    /** {@code start length target[ params]} as dmsetup prints it after the optional device name. */
    private static final Pattern BODY =
            Pattern.compile("(\\d{1,19})[ \\t]+(\\d{1,19})[ \\t]+(\\S+)(?:[ \\t](.*))?", Pattern.DOTALL);

    private KernelText() {}

    /** The kernel's {@code isspace()} on ASCII: space, \t, \n, \v, \f, \r. */
    static boolean isSpace(char c) {
        return c == ' ' || (c >= '\t' && c <= '\r');
    }

    /**
     * {@code dm_split_args}: words separated by whitespace; a backslash makes the next character part
     * of the word, whatever it is (a backslash at the very end stays).
     */
    static List<String> splitArgs(String input) {
        List<String> args = new ArrayList<>();
        int i = 0;
        int n = input.length();
        while (true) {
            while (i < n && isSpace(input.charAt(i))) {
                i++;
            }
            if (i >= n) {
                return args;
            }
            StringBuilder word = new StringBuilder();
            while (i < n) {
                char c = input.charAt(i);
                if (c == '\\' && i + 1 < n) {
                    word.append(input.charAt(i + 1));
                    i += 2;
                    continue;
                }
                if (isSpace(c)) {
                    break;
                }
                word.append(c);
                i++;
            }
            args.add(word.toString());
        }
    }

    /** Quotes an argument so that {@link #splitArgs} gives it back; plain arguments are unchanged. */
    static String escapeArg(String arg) {
        StringBuilder out = new StringBuilder(arg.length());
        for (int i = 0; i < arg.length(); i++) {
            char c = arg.charAt(i);
            if (c == '\\' || isSpace(c)) {
                out.append('\\');
            }
            out.append(c);
        }
        return out.toString();
    }

    /** Joins arguments with single spaces, escaping where needed. */
    static String joinArgs(List<String> args) {
        StringBuilder out = new StringBuilder();
        for (String arg : args) {
            if (out.length() > 0) {
                out.append(' ');
            }
            out.append(escapeArg(arg));
        }
        return out.toString();
    }

    /** The kernel's {@code strcasecmp(a, b) == 0}: only ASCII letters fold, unlike {@link String#equalsIgnoreCase}. */
    static boolean equalsAsciiIgnoreCase(String a, String b) {
        if (a.length() != b.length()) {
            return false;
        }
        for (int i = 0; i < a.length(); i++) {
            if (asciiLower(a.charAt(i)) != asciiLower(b.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    private static char asciiLower(char c) {
        return c >= 'A' && c <= 'Z' ? (char) (c + ('a' - 'A')) : c;
    }

    /**
     * The kernel's {@code sscanf(arg, "%u%c", &value, &dummy) == 1}: leading whitespace, then at least
     * one decimal digit (no sign) up to the end of the argument. The value is converted with
     * {@code simple_strntoull} and stored in an {@code unsigned int}, so it wraps modulo 2^32.
     *
     * @return the value, or empty when the kernel would not read exactly one number
     */
    static OptionalLong scanUnsigned(String arg) {
        int i = 0;
        while (i < arg.length() && isSpace(arg.charAt(i))) {
            i++;
        }
        if (i == arg.length()) {
            return OptionalLong.empty();
        }
        long value = 0;
        for (; i < arg.length(); i++) {
            char c = arg.charAt(i);
            if (c < '0' || c > '9') {
                return OptionalLong.empty();
            }
            value = (value * 10 + (c - '0')) & 0xFFFF_FFFFL;
        }
        return OptionalLong.of(value);
    }

    /** One {@code dmsetup table} or {@code dmsetup status} line, split into its fixed fields. */
    record Line(String device, long start, long length, String target, String params) {}

    /**
     * Splits {@code [name: ]start length target[ params]}; one trailing newline is allowed. Without a
     * name the line is read as is; otherwise the name ends at the first {@code ": "} after which the
     * rest is a valid body (device names may themselves contain {@code ": "}).
     *
     * @return the fields, or {@code null} when the line has no such shape
     */
    static Line splitLine(String text) {
        String line = text.endsWith("\n") ? text.substring(0, text.length() - 1) : text;
        if (line.indexOf('\n') >= 0 || line.indexOf('\r') >= 0 || line.indexOf('\0') >= 0) {
            return null;
        }
        Line plain = body(null, line);
        if (plain != null) {
            return plain;
        }
        for (int at = line.indexOf(": "); at > 0; at = line.indexOf(": ", at + 1)) {
            Line named = body(line.substring(0, at), line.substring(at + 2));
            if (named != null) {
                return named;
            }
        }
        return null;
    }

    private static Line body(String device, String text) {
        Matcher m = BODY.matcher(text);
        if (!m.matches()) {
            return null;
        }
        long start;
        long length;
        try {
            start = Long.parseLong(m.group(1));
            length = Long.parseLong(m.group(2));
        } catch (NumberFormatException e) {
            return null;
        }
        return new Line(device, start, length, m.group(3), m.group(4) == null ? "" : m.group(4));
    }
}
