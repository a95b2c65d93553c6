package dev.snapstore.kernelit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.snapstore.dm.DeviceMapper;
import dev.snapstore.dm.Negotiation;
import dev.snapstore.dm.Negotiator;
import dev.snapstore.dm.TargetVersion;
import dev.snapstore.dm.TargetVersions;
import dev.snapstore.dm.VersionSource;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Negotiation from the live kernel's dmsetup targets (Debian 6.1: snapshot v1.16.0, snapshot-merge v1.5.0). */
class NegotiationIT {

    private static TargetVersions live;

    @BeforeAll
    static void readTheKernel() throws Exception {
        Guest.requireKernel();
        live = DeviceMapper.dmsetup().targets();
    }

    @Test
    void theKernelLoadsTheSnapshotTargets() {
        assertTrue(live.find(TargetVersions.SNAPSHOT).isPresent(), live.format());
        assertTrue(live.find(TargetVersions.SNAPSHOT_ORIGIN).isPresent(), live.format());
        assertTrue(live.find(TargetVersions.SNAPSHOT_MERGE).isPresent(), live.format());
    }

    @Test
    void poIsChosenForSnapshotAndMerge() throws Exception {
        Negotiation snapshot = Negotiator.negotiate(live, false, false);
        assertEquals("PO", snapshot.typeWord(), snapshot.reason());
        assertTrue(snapshot.version().isAtLeast(Negotiator.SNAPSHOT_OVERFLOW));
        Negotiation merge = Negotiator.negotiate(live, true, false);
        assertEquals("PO", merge.typeWord(), merge.reason());
        assertTrue(merge.version().isAtLeast(Negotiator.SNAPSHOT_MERGE_OVERFLOW));
        assertEquals("N", Negotiator.negotiate(live, false, true).typeWord());
    }

    @Test
    void theVersionSourceAndTheClientReadTheSameListing() throws Exception {
        assertEquals(live, VersionSource.dmsetup().read());
        TargetVersion snapshot = live.require(TargetVersions.SNAPSHOT);
        assertTrue(snapshot.isAtLeast(Negotiator.SNAPSHOT_DISCARD), snapshot.toString());
    }
}
