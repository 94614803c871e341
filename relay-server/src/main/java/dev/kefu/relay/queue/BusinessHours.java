package dev.kefu.relay.queue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.time.DayOfWeek;
import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.format.TextStyle;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A site's weekly opening hours in its own time zone, from JSON such as
 * {@code {"tz":"Asia/Shanghai","week":{"mon":["09:00-18:00"],"sat":["10:00-12:00","14:00-16:00"]}}}.
 * Days left out are closed; a range ending at or before its start runs past midnight.
 */
public final class BusinessHours {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final ZoneId zone;
    private final Map<DayOfWeek, List<LocalTime[]>> week;

    private BusinessHours(ZoneId zone, Map<DayOfWeek, List<LocalTime[]>> week) {
        this.zone = zone;
        this.week = week;
    }

    /** Parses the JSON form; throws IllegalArgumentException with a readable message when malformed. */
    public static BusinessHours parse(String json) {
        try {
            JsonNode root = JSON.readTree(json);
            if (root == null || !root.isObject()) {
                throw new IllegalArgumentException("business hours must be a JSON object");
            }
            ZoneId zone = ZoneId.of(root.path("tz").asText("UTC"));
            Map<DayOfWeek, List<LocalTime[]>> week = new EnumMap<>(DayOfWeek.class);
            JsonNode days = root.path("week");
            for (DayOfWeek d : DayOfWeek.values()) {
                String key = d.getDisplayName(TextStyle.SHORT, Locale.ENGLISH).toLowerCase(Locale.ROOT);
                List<LocalTime[]> ranges = new ArrayList<>();
                for (JsonNode r : days.path(key)) {
                    String[] parts = r.asText().split("-");
                    if (parts.length != 2) {
                        throw new IllegalArgumentException("a range is \"HH:MM-HH:MM\", not " + r);
                    }
                    ranges.add(new LocalTime[] {LocalTime.parse(parts[0].trim()), LocalTime.parse(parts[1].trim())});
                }
                week.put(d, ranges);
            }
            return new BusinessHours(zone, week);
        } catch (IllegalArgumentException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalArgumentException("malformed business hours: " + e.getMessage(), e);
        }
    }

    /** Whether the desk is open at {@code at}. A null or blank spec means always open. */
    public static boolean isOpen(String json, Instant at) {
        return json == null || json.isBlank() || parse(json).isOpen(at);
    }

    public boolean isOpen(Instant at) {
        ZonedDateTime t = at.atZone(zone);
        LocalTime now = t.toLocalTime();
        for (LocalTime[] r : week.get(t.getDayOfWeek())) {
            boolean overnight = !r[1].isAfter(r[0]);
            if (overnight ? !now.isBefore(r[0]) : !now.isBefore(r[0]) && now.isBefore(r[1])) {
                return true;
            }
        }
        // the tail of yesterday's overnight range
        for (LocalTime[] r : week.get(t.getDayOfWeek().minus(1))) {
            if (!r[1].isAfter(r[0]) && now.isBefore(r[1])) {
                return true;
            }
        }
        return false;
    }
}
