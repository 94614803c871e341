package dev.kefu.agent.visitors;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A short, human description of a browser's user agent: "Chrome 120 · Windows", "Safari · iPhone". */
public final class DeviceInfo {
    private static final Pattern EDGE = Pattern.compile("Edg(?:e|A|iOS)?/(\\d+)");
    private static final Pattern OPERA = Pattern.compile("OPR/(\\d+)");
    private static final Pattern FIREFOX = Pattern.compile("(?:Firefox|FxiOS)/(\\d+)");
    private static final Pattern CHROME = Pattern.compile("(?:Chrome|CriOS)/(\\d+)");
    private static final Pattern SAFARI = Pattern.compile("Version/(\\d+)[.\\d]* .*Safari/");
    private static final Pattern WECHAT = Pattern.compile("MicroMessenger/(\\d+)");
    private static final Map<String, Pattern> BROWSERS = new LinkedHashMap<>();

    static {
        BROWSERS.put("WeChat", WECHAT);
        BROWSERS.put("Edge", EDGE);
        BROWSERS.put("Opera", OPERA);
        BROWSERS.put("Firefox", FIREFOX);
        BROWSERS.put("Chrome", CHROME);
        BROWSERS.put("Safari", SAFARI);
    }

    private DeviceInfo() {}

    /** Null for a null or blank user agent. */
    public static String describe(String userAgent) {
        if (userAgent == null || userAgent.isBlank()) {
            return null;
        }
        String browser = browser(userAgent);
        String system = system(userAgent);
        if (browser == null) {
            return system;
        }
        return system == null ? browser : browser + " · " + system;
    }

    private static String browser(String ua) {
        // Order matters: Edge and Opera also say "Chrome", Chrome also says "Safari".
        for (Map.Entry<String, Pattern> b : BROWSERS.entrySet()) {
            Matcher m = b.getValue().matcher(ua);
            if (m.find()) {
                return b.getKey() + " " + m.group(1);
            }
        }
        return ua.contains("Safari/") ? "Safari" : null;
    }

    private static String system(String ua) {
        if (ua.contains("iPhone")) {
            return "iPhone";
        }
        if (ua.contains("iPad")) {
            return "iPad";
        }
        if (ua.contains("Android")) {
            return "Android";
        }
        if (ua.contains("Windows")) {
            return "Windows";
        }
        if (ua.contains("Mac OS X") || ua.contains("Macintosh")) {
            return "macOS";
        }
        if (ua.contains("CrOS")) {
            return "ChromeOS";
        }
        if (ua.contains("Linux")) {
            return "Linux";
        }
        return null;
    }
}
