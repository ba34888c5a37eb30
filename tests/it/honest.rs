//! Summaries that say exactly what happened: "complete" only when everything planned was done,
//! "interrupted" only after an interrupt, forbidden videos explained with the two ways out.

use crate::harness::{Dir, Emulator, catalog_of, stable, vid, vodplan};

/// Three deletable videos and two that DeleteVideo reports in ForbiddenVideoIds.
fn forbidden_catalog() -> String {
    let mut extra = String::new();
    for i in 3..5 {
        extra.push_str(&format!(
            "  - videoId: {}\n    title: Locked {i}\n    status: Normal\n    categoryId: 1000\n    creationTime: 2023-01-01T00:00:00Z\n    size: 1048576\n    forbidden: true\n",
            vid(i)
        ));
    }
    catalog_of(3, &extra)
}

#[test]
fn forbidden_videos_are_explained_not_called_complete_or_interrupted() {
    let dir = Dir::new();
    let emu = Emulator::start(&dir, &forbidden_catalog(), &[]);
    crate::harness::delete_manifest(&dir, 5);
    let apply = || {
        vodplan(&dir)
            .against(&emu)
            .args(["apply", "m.yaml", "--auto-approve"])
            .run()
    };
    let forbidden_hint = "Forbidden: VOD refused to delete 2 videos (ForbiddenVideoIds, listed above), which usually means the RAM identity vodplan runs as may not delete them. Two ways out: grant it vod:DeleteVideo on them (examples/ram/apply-policy.json) and run the same command again; or accept them as they are: add them to `keep` in the manifests (and remove any delete entry naming them by ID), so that they are no longer planned.\n";
    let first = apply();
    assert_eq!(first.code, 3, "{}", first.stderr);
    assert!(
        first.stdout.ends_with(&format!(
            "Forbidden: VOD refused to delete these (ForbiddenVideoIds):\n  ! {}\n  ! {}\n\nPlan digest: {}\nApply partial: 3 videos deleted, 0 absent, 2 forbidden, 0 failed.\n",
            vid(3),
            vid(4),
            &first.stdout[first.stdout.rfind("Plan digest: ").unwrap() + 13..][..12]
        )),
        "{}",
        first.stdout
    );
    assert_eq!(
        stable(&first.stderr, &emu),
        format!(
            "Credentials: environment variables (ALIBABA_CLOUD_ACCESS_KEY_ID)\nApplying plan DIGEST.\nJournal: m.yaml.journal.jsonl\nPartial: 3 deleted, 2 forbidden.\n{forbidden_hint}"
        )
    );
    // Again: the 2 are sent again (the permission may have been fixed), the 3 are credited, and
    // nothing claims an interrupted run.
    let second = apply();
    assert_eq!(second.code, 3, "{}", second.stderr);
    assert!(!second.stderr.contains("nterrupt"), "{}", second.stderr);
    assert_eq!(
        stable(&second.stderr, &emu),
        format!(
            "Credentials: environment variables (ALIBABA_CLOUD_ACCESS_KEY_ID)\nApplying plan DIGEST.\nContinuing: the journal shows an earlier partial run of this plan that sent 5 videos for deletion; what it deleted is credited, not reported as drift.\nJournal: m.yaml.journal.jsonl\nPartial: 3 deleted, 2 forbidden.\n{forbidden_hint}"
        )
    );
    assert!(
        second
            .stdout
            .ends_with("Apply partial: 3 videos deleted, 0 absent, 2 forbidden, 0 failed.\n"),
        "{}",
        second.stdout
    );
    // Accepting them with `keep`: they are no longer planned, and the run is complete.
    crate::harness::delete_manifest(&dir, 3);
    let mut m = dir.read("m.yaml");
    m.push_str(&format!(
        "keep:\n  - videoId: {}\n  - videoId: {}\n",
        vid(3),
        vid(4)
    ));
    dir.write("m.yaml", &m);
    let third = apply();
    assert_eq!(third.code, 0, "{}", third.stderr);
    assert!(
        third
            .stdout
            .ends_with("Apply complete: 0 videos deleted, 3 absent, 0 forbidden, 0 failed.\n"),
        "{}",
        third.stdout
    );
}
