package org.ntk4j.cli;

import java.util.List;
import org.ntk4j.Backend;

/** Extra lines about a backend's device for {@code ntk devices}. */
final class DeviceInfo {
    private DeviceInfo() {
    }

    static List<String> details(Backend backend) {
        return List.of();
    }
}
