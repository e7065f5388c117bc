//! Retention invariants: a plan never marks a held, newest, protected or not-owned snapshot for
//! destruction, and planning again after applying a plan destroys nothing more.

use std::collections::HashSet;

use proptest::prelude::*;
use strata_prune::plan::{Action, Item, Owner, plan};
use strata_prune::rules::Rules;

fn arb_items() -> impl Strategy<Value = Vec<Item>> {
    prop::collection::vec((0u8..3, 0i64..200 * 86400, 0u64..4, any::<bool>(), 0u8..3), 0..120).prop_map(|v| {
        v.into_iter()
            .enumerate()
            .map(|(i, (ds, t, hold, managed, prefix))| {
                let dataset = ["tank/a", "tank/my data", "tank/b/c"][ds as usize];
                let name = format!("{}{i}", ["auto-", "daily-", "x"][prefix as usize]);
                Item {
                    at: dataset.len() as u32,
                    snapshot: format!("{dataset}@{name}"),
                    created: 1_600_000_000 + t,
                    createtxg: Some(i as u64 + 1),
                    guid: Some(format!("{}", 1000 + i)),
                    userrefs: u64::from(hold == 0),
                    managed,
                    line: i as u32 + 1,
                }
            })
            .collect()
    })
}

fn arb_rules() -> impl Strategy<Value = Rules> {
    (prop::option::of(1i64..2000), 0u64..4, 0u64..30, 0u64..10, 0u64..6, 0u64..5, 0u64..3).prop_map(
        |(w, last, h, d, wk, m, y)| {
            let mut r = Rules {
                within_secs: w.map(|h| h * 3600),
                last,
                hourly: h,
                daily: d,
                weekly: wk,
                monthly: m,
                yearly: y,
            };
            if !r.any() {
                r.daily = 1;
            }
            r
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn never_destroys_what_it_must_keep_and_is_idempotent(
        items in arb_items(),
        rules in arb_rules(),
        protect in prop::collection::vec(1000usize..1120, 0..10),
        use_match in any::<bool>(),
        now_after in 0i64..400 * 86400,
    ) {
        let now = 1_600_000_000 + now_after;
        let guids: Vec<String> = protect.iter().map(|g| g.to_string()).collect();
        let protected: HashSet<&str> = guids.iter().map(String::as_str).collect();
        let owner = || if use_match { Owner::Matching(regex::Regex::new("^(?:daily-.*)$").unwrap()) } else { Owner::Managed };
        let (order, d) = plan(&items, &rules, now, &owner(), &protected);
        prop_assert_eq!(order.len(), items.len());

        for ds in ["tank/a", "tank/my data", "tank/b/c"] {
            let of: Vec<usize> = (0..items.len()).filter(|&i| items[i].dataset() == ds).collect();
            let Some(&newest) = of.iter().max_by_key(|&&i| (items[i].created, items[i].createtxg)) else { continue };
            prop_assert_eq!(d[newest].action, Action::Keep, "newest of {}", ds);
            if let Some(&common) = of.iter().filter(|&&i| protected.contains(items[i].guid.as_deref().unwrap())).max_by_key(|&&i| (items[i].created, items[i].createtxg)) {
                prop_assert_eq!(d[common].action, Action::Keep, "newest common with the target");
                prop_assert!(d[common].reasons.iter().any(|r| r == "common-with-target"));
            }
        }
        for (i, it) in items.iter().enumerate() {
            if it.userrefs > 0 || !owner().owns(it) {
                prop_assert_eq!(d[i].action, Action::Keep, "held or not owned: {:?}", it);
            }
            prop_assert_eq!(d[i].action == Action::Destroy, d[i].reasons.is_empty());
        }

        // Apply: the destroyed snapshots go; plan again.
        let rest: Vec<Item> = items.iter().zip(&d).filter(|(_, d)| d.action == Action::Keep).map(|(it, _)| it.clone()).collect();
        let (_, again) = plan(&rest, &rules, now, &owner(), &protected);
        let more: Vec<&str> = rest.iter().zip(&again).filter(|(_, d)| d.action == Action::Destroy).map(|(it, _)| it.snapshot.as_str()).collect();
        prop_assert!(more.is_empty(), "a second plan destroys {:?}", more);
    }
}
