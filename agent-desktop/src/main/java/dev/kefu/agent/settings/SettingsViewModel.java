package dev.kefu.agent.settings;

import javafx.beans.property.BooleanProperty;
import javafx.beans.property.IntegerProperty;
import javafx.beans.property.ObjectProperty;
import javafx.beans.property.SimpleBooleanProperty;
import javafx.beans.property.SimpleIntegerProperty;
import javafx.beans.property.SimpleObjectProperty;

/** The settings dialog's fields, from and back to {@link Settings}. FX thread only. */
public final class SettingsViewModel {
    private final Settings settings;
    private final ObjectProperty<Language> language = new SimpleObjectProperty<>();
    private final BooleanProperty sound = new SimpleBooleanProperty();
    private final BooleanProperty notifications = new SimpleBooleanProperty();
    private final IntegerProperty realertSeconds = new SimpleIntegerProperty();

    public SettingsViewModel(Settings settings) {
        this.settings = settings;
        Preferences p = settings.preferences();
        language.set(p.language());
        sound.set(p.sound());
        notifications.set(p.notifications());
        realertSeconds.set(p.realertSeconds());
    }

    /** Applies the fields at once (the language switches the screens) and stores them. */
    public void save() {
        settings.save(new Preferences(language.get(), sound.get(), notifications.get(), Math.max(0, realertSeconds.get())));
    }

    public ObjectProperty<Language> languageProperty() {
        return language;
    }

    public BooleanProperty soundProperty() {
        return sound;
    }

    public BooleanProperty notificationsProperty() {
        return notifications;
    }

    public IntegerProperty realertSecondsProperty() {
        return realertSeconds;
    }
}
