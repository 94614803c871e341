package dev.kefu.installers;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The keys of a systemd unit file, section by section (a repeated key keeps every value). */
final class UnitFile {
    private final Map<String, List<String>> entries = new LinkedHashMap<>();

    private UnitFile() {}

    static UnitFile read(Path file) {
        UnitFile unit = new UnitFile();
        String section = "";
        try {
            for (String raw : Files.readAllLines(file)) {
                String line = raw.strip();
                if (line.isEmpty() || line.startsWith("#") || line.startsWith(";")) {
                    continue;
                }
                if (line.startsWith("[") && line.endsWith("]")) {
                    section = line.substring(1, line.length() - 1);
                    continue;
                }
                int eq = line.indexOf('=');
                if (eq > 0) {
                    unit.entries.computeIfAbsent(section + "." + line.substring(0, eq).strip(), k -> new ArrayList<>())
                            .add(line.substring(eq + 1).strip());
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return unit;
    }

    /** The last value of {@code section.key} (systemd's rule for most keys), or null. */
    String get(String sectionDotKey) {
        List<String> values = entries.get(sectionDotKey);
        return values == null ? null : values.get(values.size() - 1);
    }

    /** ExecStart= split into words; Kefu's unit uses no quoting. */
    List<String> execStart() {
        String exec = get("Service.ExecStart");
        if (exec == null) {
            throw new AssertionError("no ExecStart");
        }
        return List.of(exec.split("\\s+"));
    }
}
