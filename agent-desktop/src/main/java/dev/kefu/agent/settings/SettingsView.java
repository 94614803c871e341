package dev.kefu.agent.settings;

import dev.kefu.agent.ui.I18n;
import javafx.scene.control.ButtonType;
import javafx.scene.control.CheckBox;
import javafx.scene.control.ChoiceBox;
import javafx.scene.control.Dialog;
import javafx.scene.control.Label;
import javafx.scene.control.Spinner;
import javafx.scene.layout.GridPane;
import javafx.stage.Window;
import javafx.util.StringConverter;

/** The settings dialog: language, sound, notifications, re-alert period. */
public final class SettingsView {
    private final Dialog<ButtonType> dialog = new Dialog<>();
    private final SettingsViewModel vm;

    public SettingsView(SettingsViewModel vm, I18n i18n, Window owner) {
        this.vm = vm;
        dialog.setTitle(i18n.t("settings.title"));
        dialog.initOwner(owner);

        ChoiceBox<Language> language = new ChoiceBox<>();
        language.setId("settingsLanguage");
        language.getItems().setAll(Language.values());
        language.setConverter(new StringConverter<>() {
            @Override
            public String toString(Language l) {
                return l == null ? "" : i18n.t("settings.language." + l.name().toLowerCase(java.util.Locale.ROOT));
            }

            @Override
            public Language fromString(String s) {
                return null;
            }
        });
        language.valueProperty().bindBidirectional(vm.languageProperty());
        CheckBox sound = new CheckBox(i18n.t("settings.sound"));
        sound.setId("settingsSound");
        sound.selectedProperty().bindBidirectional(vm.soundProperty());
        CheckBox notifications = new CheckBox(i18n.t("settings.notifications"));
        notifications.setId("settingsNotifications");
        notifications.selectedProperty().bindBidirectional(vm.notificationsProperty());
        Spinner<Integer> realert = new Spinner<>(0, 3600, vm.realertSecondsProperty().get(), 15);
        realert.setId("settingsRealert");
        realert.setEditable(true);
        realert.valueProperty().addListener((o, was, v) -> vm.realertSecondsProperty().set(v == null ? 0 : v));
        Label realertHint = new Label(i18n.t("settings.realertHint"));
        realertHint.getStyleClass().add("muted");

        GridPane grid = new GridPane();
        grid.setHgap(10);
        grid.setVgap(10);
        grid.addRow(0, new Label(i18n.t("settings.language")), language);
        grid.add(sound, 1, 1);
        grid.add(notifications, 1, 2);
        grid.addRow(3, new Label(i18n.t("settings.realert")), realert);
        grid.add(realertHint, 1, 4);
        dialog.getDialogPane().setContent(grid);
        dialog.getDialogPane().getButtonTypes().addAll(ButtonType.OK, ButtonType.CANCEL);
    }

    /** Shows the dialog; OK saves. */
    public void showAndWait() {
        dialog.showAndWait().filter(b -> b == ButtonType.OK).ifPresent(b -> vm.save());
    }
}
