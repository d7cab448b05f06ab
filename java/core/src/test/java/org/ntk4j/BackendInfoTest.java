package org.ntk4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class BackendInfoTest {

    @Test
    void listsCoresBackendsHighestRankFirstEachOpenableByName() {
        List<BackendInfo> all = Ntk.backends();
        List<String> names = all.stream().map(BackendInfo::name).toList();
        assertTrue(names.containsAll(List.of("cpu", "reference")), names.toString());
        for (int i = 1; i < all.size(); i++) {
            assertTrue(all.get(i - 1).rank() >= all.get(i).rank(), names.toString());
        }
        BackendInfo reference = all.stream().filter(b -> b.name().equals("reference")).findFirst().orElseThrow();
        assertFalse(reference.autoSelectable());
        assertTrue(reference.available());
        for (BackendInfo b : all) {
            assertEquals(b.available(), b.unavailableReason().isEmpty(), b.toString());
            if (b.available()) {
                try (Ntk ntk = Ntk.builder().backend(b.name()).open()) {
                    assertEquals(b.name(), ntk.backendName());
                }
            }
        }
        assertThrows(UnsupportedOperationException.class, () -> all.add(reference));
    }
}
