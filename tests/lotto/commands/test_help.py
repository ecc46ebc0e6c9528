"""Help texts against the original's command list, and replies a new user reads first."""

from __future__ import annotations

import pytest

from tests.lotto.commands.helpers import Script

# Every command and flag of the original README's command list (and docs/design.md §5), which our
# `help` must document; `user leave --starting` is left out: the original documented it by
# mistake (a copy of `join`), it never had it.
SEED_COMMANDS: dict[str, tuple[str, ...]] = {
    "autopilot": ("--now",),
    "rotation new": (
        "--beginning",
        "--fill-type",
        "--fuzz",
        "--period",
        "--task-type",
        "--seed",
        "--timezone",
    ),
    "rotation archive": (),
    "rotation list": (),
    "rotation show": (),
    "rotation autopilot": ("--now",),
    "rotation set autopilot": (
        "--off",
        "--create",
        "--create-prior",
        "--schedule",
        "--schedule-prior",
        "--start-finish",
        "--remind-finish",
        "--remind-finish-prior",
        "--remind-start",
        "--remind-start-prior",
    ),
    "rotation set fill": ("--fuzz", "--seed"),
    "rotation set limit": ("--skill", "--count", "--clear"),
    "rotation set require": ("--skill", "--count", "--clear"),
    "rotation set task": ("--duration", "--grace"),
    "task assign": ("--force",),
    "task unassign": ("--force",),
    "task fill": (),
    "task finish": (),
    "task new shift": ("--number",),
    "task new ticket": ("--summary",),
    "task schedule": (),
    "task start": (),
    "task show": (),
    "user disqualify": ("--skill",),
    "user join": ("--starting",),
    "user leave": (),
    "user qualify": ("--skill",),
    "user show": (),
    "user unavailable": ("--start", "--finish", "--clear"),
    "skill new": (),
    "skill delete": (),
    "skill list": (),
}


@pytest.mark.parametrize("path", sorted(SEED_COMMANDS))
def test_every_command_and_flag_of_the_original_is_documented(kv_memory, path):
    text = Script(kv_memory).run(f"{path} help").text
    usage = next(ln for ln in text.splitlines() if ln.startswith("Usage: "))
    flag_lines = [ln for ln in text.splitlines() if ln.startswith("- `")]
    for flag in SEED_COMMANDS[path] + ("--json", "--now"):
        assert f"[{flag}" in usage or f" {flag} " in usage, (path, flag, usage)
        assert any(f"{flag}`" in ln or f"{flag} " in ln for ln in flag_lines), (path, flag)
    # Placeholders say what to type: an id, a zone, not a generic TEXT.
    assert "--rotation TEXT" not in text and "--timezone TEXT" not in text


def test_the_rotation_flag_and_timezone_have_meaningful_placeholders(kv_memory):
    s = Script(kv_memory)
    assert "- `-r, --rotation ID`: the rotation's exact id" in s.run("user join help").text
    assert "- `--timezone ZONE`: " in s.run("rotation new help").text


def test_unassign_force_does_not_claim_to_ignore_limits(kv_memory):
    s = Script(kv_memory)
    assert "ignoring limits" in s.run("task assign help").text
    unassign = s.run("task unassign help").text
    assert "- `--force`: also when the task is scheduled or started\n" in unassign
    assert "limits" not in unassign


def test_a_ticket_rotation_is_not_described_as_weekly_tickets(kv_memory):
    s = Script(kv_memory)
    made = s.run("rotation new HELP --task-type ticket --beginning 2020-01-01 --period daily").text
    assert made == (
        "Created rotation **HELP**: tickets on demand, odds counted in daily periods "
        "from 2020-01-01 UTC."
    )
    assert (
        "- Schedule: tickets on demand, odds counted in daily periods"
        in s.run("rotation show HELP").text
    )
    assert s.run("rotation new ICE --beginning 2020-01-01").text == (
        "Created rotation **ICE**: shifts weekly from 2020-01-01 UTC."
    )


@pytest.mark.parametrize("name", ["x#1", "@ice", "A B"])
def test_bad_rotation_names_get_one_wording(kv_memory, name):
    out = Script(kv_memory).try_(f"rotation new '{name}'")
    assert not out.ok
    assert out.text.startswith(
        f"{name!r} is not a valid rotation name: use 1-100 characters without "
        "spaces, '@' or '#', e.g. `rotation new SET`."
    )


def test_joining_or_leaving_by_yourself_is_not_reported_as_done_by_you(kv_memory):
    s = Script(kv_memory, actor="ann")
    s.run("rotation new R --beginning 2020-01-01")
    s.run("user join R")
    assert [text.splitlines()[-1] for _, text in s.poster.sent] == [
        "You joined the Solar Lottery team rotation scheduler. Use `/lotto info` and `/lotto help` "
        "to learn more.",
        "You joined **R**. Use `/lotto rotation show R` to see its settings and tasks.",
    ]
    s.poster.reset()
    s.run("user leave R")
    assert s.poster.sent == [("ann", "You left rotation **R**.")]
    s.poster.reset()
    s.run("user join R @bob")
    s.run("user leave R @bob")
    assert [text.splitlines()[-1] for _, text in s.poster.sent] == [
        "@ann added you to the Solar Lottery team rotation scheduler. Use `/lotto info` and "
        "`/lotto help` to learn more.",
        "@ann added you to **R**. Use `/lotto rotation show R` to see its settings and tasks.",
        "@ann removed you from rotation **R**.",
    ]


@pytest.mark.parametrize(
    "path, who",
    [
        ("info", "anyone"),
        ("rotation forecast", "anyone"),
        ("task show", "anyone"),
        ("user join", "anyone for themselves; the rotation's owners and plugin admins for others"),
        ("user unavailable", "anyone for themselves; plugin admins for others"),
        ("rotation set owners", "the rotation's owners and plugin admins"),
        ("rotation new", "plugin admins only"),
    ],
)
def test_every_command_help_says_who_may_run_it(kv_memory, path, who):
    assert Script(kv_memory).run(f"{path} help").text.endswith(f"\n\nWho may run it: {who}.")


@pytest.mark.parametrize("what", ["require", "limit"])
def test_a_need_with_several_skills_says_to_give_one_per_command(kv_memory, what):
    s = Script(kv_memory)
    s.run("rotation new R --beginning 2020-01-01")
    out = s.try_(f"rotation set {what} R -s webapp-2,server")
    assert not out.ok
    assert "`webapp-2,server` names several skills; give one skill-level per command" in out.text


def test_qualify_and_disqualify_name_who_changed_like_join_and_leave(kv_memory):
    s = Script(kv_memory)

    def head(line):
        return s.run(line).text.splitlines()[0]

    assert head("user qualify @a -s web-2,db") == "Qualified @a for web-▣, db-◉."
    assert (
        head("user qualify @a @b -s web-2")
        == "Qualified @b for web-▣. Skipped @a: already at those levels."
    )
    assert head("user qualify @a -s web-2") == (
        "Nothing changed: everyone named already has those skills at those levels."
    )
    assert head("user disqualify @a @b @c -s web") == (
        "Disqualified @a, @b from web. Skipped @c: did not have them."
    )
    assert head("user disqualify @c -s web,db") == "Nothing changed: nobody named has those skills."


@pytest.mark.parametrize(
    "path",
    [
        "task assign",
        "task unassign",
        "user qualify",
        "user disqualify",
        "user join",
        "user leave",
        "user show",
        "user unavailable",
    ],
)
def test_usage_shows_users_as_optional_where_they_default_to_you(kv_memory, path):
    s = Script(kv_memory)
    assert "[@user...]" in s.run(f"{path} help").text
    if path in ("task assign", "task unassign"):
        s.run("rotation new R --beginning 2020-01-06")
        s.run("task new shift R -n 0")
        s.run("task assign R#0")
        assert s.run("task show R#0").data.task.mattermost_user_ids == ["test-user"]
        if path == "task unassign":
            s.run("task unassign R#0")
            assert s.run("task show R#0").data.task.mattermost_user_ids == []


@pytest.mark.parametrize(
    "line", ["rotation new X -h", "rotation new X --help", "rotation new help"]
)
def test_dash_h_anywhere_asks_for_help_like_dash_dash_help(kv_memory, line):
    out = Script(kv_memory).run(line)
    assert out.text.startswith("**/lotto rotation new**: create a rotation")


def test_forecast_help_gives_the_limits_its_errors_enforce(kv_memory):
    s = Script(kv_memory)
    text = s.run("rotation forecast help").text
    assert "- `--shifts N`: how many coming shifts to forecast (default 6, at most 52)" in text
    assert "- `--samples N`: how many simulated futures (default 200, at most 5000)" in text
    s.run("rotation new R --beginning 2020-01-06")
    assert "between 1 and 52" in s.try_("rotation forecast R --shifts 53").text
    assert "between 1 and 5000" in s.try_("rotation forecast R --samples 5001").text
