"""The grammar of state-changing commands: the only way a restart, a silence, a subscription,
an acknowledgement or a decision comes out of the parser.

A message is a command when one of its clauses (split at ``, ; . ! -`` and "because")
starts, after polite words ("please", "can you", "go ahead and"), with a command verb in its
base form, spelled exactly, and every other word of that clause is a slot value or a filler
word of that command. Other clauses may give a reason ("roll back search, the build is
broken") but must not hedge, negate or ask ("restart payments, or should we wait?").

:func:`read_command` reports what it found without deciding: a clean command, a typo of the
verb (``typo``: ask, never act), words it could not account for (``extra``: refuse whole, do
not run half of it), a hedge (``hedged``), or a bare imperative ending in a question mark
("restart payments?": ask). The parser turns that into an intent.
"""

from __future__ import annotations

import dataclasses
import itertools
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Final

from intents import decisions, lexicon
from intents.analysis import (
    Analysis,
    Span,
    addressed,
    analyse_tokens,
    is_camel,
    is_hostlike,
    mocking,
)
from intents.durations import LENGTH_RANGE
from intents.lexicon import phrase_list as _phrase_list
from intents.lexicon import word_set
from intents.model import IntentName, SlotValue
from intents.nearmiss import inflected
from intents.reasons import neutral
from intents.slots import NOT_NAMES, extract_slots, find_target
from intents.text import PLAIN_NAME, Token
from intents.verbs import BASE, GERUND, NOUN, Verb, verb_at

I = IntentName  # noqa: E741 - the table below reads better with a short name


@dataclass(frozen=True, slots=True)
class Command:
    """A clause that is (or was probably meant as) a state-changing command."""

    intent: IntentName
    slots: dict[str, SlotValue]
    typo: bool = False
    extra: str | None = None
    hedged: bool = False
    asked: bool = False
    pronoun: bool = False
    """The target came from "it"/"that" and another clause of the same message."""
    reason: str | None = None
    """What the other clauses say, the why of the command ("because it is hung")."""
    relative: bool = False
    """A scale "by 2" or "add 2 replicas": a change of the count, not the count."""
    unsure: str | None = None
    """Another clause the parser can read neither as politeness nor as a reason ("approve
    77 — went fine", "first thing monday, restart X"): the command is asked back, not run."""


_PREFIXES: Final = tuple(
    tuple(p.split())
    for p in _phrase_list(
        """
        ok, okay, hey, hi, hello, yo, so, alright, right, now, then, just, please, pls, plz,
        kindly, quickly, quick, and, also, bot, go ahead and, go and, can you, could you,
        would you, will you, would you please, could you please, can you please, i want you
        to, i need you to, i would like you to, let us, lets, ok so, now please, i want to,
        we want to, i would like to, we would like to, i wish to, i am going to have you,
        you can, you may, go ahead, yes, yep, yeah, sure, would you mind, do you mind, k, kk,
        go for it, do it, let us do it, lets do it, let us do this, lets do this, good morning,
        good afternoon, good evening, hey there, hi there, hello there, hiya, heya
        """
    )
)
_NEGATORS: Final = word_set("not never dont")
_LIST_JOINS: Final = word_set("and also plus too or &")
_REASON_WORDS: Final = word_set(
    """
    maintenance planned patching patch deploying deploy upgrade upgrading incident outage
    investigating debugging migration migrating failover cleanup testing rollout release
    thanks thx cheers asap urgent urgently emergency
    """
)
_SILENCE_ID: Final = re.compile(r"[0-9a-f]{4,}(?:-[0-9a-f]{2,})*", re.IGNORECASE)
"""An Alertmanager silence id or a prefix of one (hex, UUID-shaped)."""
_POLITE_ASK: Final = frozenset(
    {("can", "you"), ("could", "you"), ("would", "you"), ("will", "you")}
)
_REASONS: Final = word_set("because cause cuz coz cos bc since per due")
_SUBJECT_REASONS: Final = word_set("while as so")
_SUBJECTS: Final = word_set("we i they it you the this that our my he she")
_REASON_PAIRS: Final = frozenset(
    {
        ("it", "is"), ("we", "are"), ("they", "are"), ("this", "is"), ("that", "is"), ("its",),
    }
)  # fmt: skip
"""A reason that follows a command without a comma: "reboot web-2 its hung"."""
_REASON_PAIRS_BY_FIRST: Final = lexicon.by_first_word(_REASON_PAIRS)
_PREFIXES_BY_FIRST: Final = lexicon.by_first_word(_PREFIXES)
_HEDGES: Final = word_set(
    """
    not never no dont wait hold maybe perhaps might later unless if whether or should would
    could shall tomorrow tonight yet instead actually hmm jk kidding too also plus
    cancel scratch ignore disregard nevermind abort whatever assuming eventually someday
    resort worst hypothetically theory lol lmao rofl haha joke joking y/n yn
    """
)
_TAKEN_BACK: Final = re.compile(
    r"\b(?:yeah right|said (?:nobody|no one|noone)|sure jan|ok boomer|hot take|oh great"
    r"|ok genius|yeah sure|sure buddy|my bad|as if|not really|in case|if needed"
    r"|if necessary|if all else fails|(?:done|fixed|handled|resolved) by"
    r"|(?:as|so) long as|on (?:the )?condition|subject to|depending on|in the event"
    r"|as a fallback|contingent on|supposing|suppose|over my dead body|any objections?"
    r"|said every \S+ ever|the universal fix|famous last words|undo that|that thought"
    r"|forget (?:it|that|about it)|worked so well|fix for everything|fixes everything"
    r"|solves everything|universal \S+|what could (?:possibly )?go wrong|ah yes"
    r"|said (?:the|my|our|a|an|every|no)\b|^said\b"
    r"|wrong (?:channel|room|thread|chat|window|tab|place|convo|conversation|workspace))\b"
    r"|^(?:wrong|nope|no|per [a-z]+|great|done|fixed)$|^(?:provided|providing|pending)\b"
)
"""Another clause that takes the order back or makes it a joke, a condition or someone
else's words ("restart web-1, yeah right"; "approve 12, as a last resort"; "per bob, deny
15"; "wrong: rollback payments"; "provided ci passes, approve 42"; "subject to bob's ok,
...")."""
_JOKE_CODES: Final = word_set(":joy :rolling_eyes :upside_down_face :laughing :smirk :clown_face")
_LIST_MARKER: Final = re.compile(
    r"^\s*(?:(?:[-*+#•%]|\[[ xX]?\]|\[[^\]]{1,30}\]|\d+[.)]|\(?[a-h]\)|[a-hA-H][.:]"
    r"|[ivx]{1,4}[.)])\s|#[A-Za-z])"
)
"""A pasted checklist item, bullet, outline item or commented-out shell line ("- restart
web-1", "[ ] approve 12", "# restart web-1", "#restart web-1", "a) restart web-1", "ii. ...",
"% restart web-1", "[bot] restart web-1", "A: restart web-1"): a note about a command, not
one given."""
_DENIAL_REASONS: Final = word_set(
    """
    risky dangerous unsafe safe early late soon big broad wide needed necessary tested
    reviewed justified urgent clear
    """
)
_DISAPPROVAL: Final = re.compile(
    r"(?:bad|terrible|awful|horrible|dumb|stupid|silly|crazy|poor|risky|dangerous|wrong)"
    r" (?:idea|move|call|plan|choice)|(?:(?:big|huge|total|terrible) )?mistake"
)
_DISAPPROVAL_FILLER: Final = word_set(
    "a an that this it is was would be sounds seems like such really very so probably def"
)
"""A clause that only calls the command a mistake ("restart web-1 - bad idea", "approve 12:
that would be a mistake"): taken back, except after a denial, where it is the reason
("deny 12, bad idea"). One saying so of something else ("the deploy was a mistake") is a
reason like any other."""
_CONDITIONS: Final = word_set("when whenever once after before case every each given")
"""Words that make an order wait for something ("when db-1 is down, restart it", "in case it
hangs", "restart web-1 after the deploy"); only before the command or in its own clause:
in a reason after it they tell what happened ("roll back, it broke after the deploy")."""
_QUOTED: Final = re.compile(r"\"([^\"]+)\"|(?:^|\s)'([^']+)'(?=$|[\s.,!?;:])")
"""Words in quotes: a command quoted is talked about ("docs: "scale x to 3""), not given."""
_TIMED: Final = frozenset({"window", "until", "badtime"})
_NOT_WHEN: Final = word_set("to from of for")
"""Before a time that is not when to act: a version ("to yesterday's build", "the build
from yesterday"), a purpose ("for black friday")."""
_QUOTING_LABELS: Final = word_set(
    """
    idea ideas note notes self docs doc documentation example examples e.g eg test testing
    remediation remediations mitigation mitigations workaround workarounds fix fixes actions
    playbook playbooks history earlier like copy message famous steps step resolution
    per quote quoted suggestion suggested todo reminder fyi tip hint usage syntax draft
    pending queued request req worked waiting approved denied rejected
    proposal plan option maybe question says said wrote writes asked asks context from
    done finished completed fixed resolved ran did update status log changelog recap
    summary postmortem timeline runbook ticket title annotation action item to for cc re
    ping stop cancel wrong ignore next sprint later backlog
    """
)
"""Labels that quote a command rather than give it ("idea:", "note to self:", "per bob:",
"alice said:"); a label like "urgent:" or "prod:" still gives it."""
_COMMON_FILLER: Final = word_set(
    """
    the a an please pls plz now kindly for me us immediately asap right away quickly again
    thanks thank you then just real quick today
    🙏 👍 🔥 🚀 🤞 😅 🙂 😊 :pray :+1 :thumbsup :fire :rocket :crossed_fingers
    """
)
_FILLER: Final[dict[IntentName, frozenset[str]]] = {
    I.REMEDIATION: word_set(
        """
        service services deployment deploy pods pod replicas replica instances instance
        containers container app application job to up down out in back by of on for it
        its previous prior last good release version build deployment latest bad new runbook
        playbook action script remediation count number 's all from more fewer known stable
        working host server node machine box vm cluster a
        """
    ),
    I.ALERT_SILENCE: word_set(
        """
        alerts alert all on for from of the notifications its it 's everything anything
        stuff next during over coming a an up silence mute snooze
        """
    ),
    I.UNSILENCE: word_set("the silence silences for on of id"),
    I.ACK: word_set("alert alerts group the id"),
    I.SUBSCRIBE: word_set(
        """
        this channel here to alerts alert posts notifications about for on of all any in
        us the room chat level severity and above into issues problems incidents stuff things
        updates feed posted keep up
        """
    ),
    I.UNSUBSCRIBE: word_set(
        """
        this channel here to alerts alert posts notifications about for on of all any in
        us the room chat from level severity off feed our subscription anymore more longer
        any updates stuff things spam
        """
    ),
    I.APPROVE: word_set("request req number no id change ticket action the it #"),
    I.DENY: word_set("request req number no id change ticket action the it #"),
}
_SCALE_VERBS: Final = word_set("add increase decrease reduce bump set give grow shrink bring make")
_SCALE_EVIDENCE: Final = word_set("replica replicas pods pod instances instance copies workers")
_UNDO: Final = word_set("undo")
_END_SILENCE: Final = word_set("expire end delete remove cancel lift drop kill clear")
_SEND: Final = word_set("send post forward route push deliver pipe follow")
_STOP_SENDING: Final = word_set(
    "posting sending notifying alerting pushing forwarding pinging spamming"
)
_ALERT_WORDS: Final = word_set("alerts notifications posts feed")
"""Plural: "post the alert here" and "post updates here" are about one alert or an incident,
not a subscription ("keep us posted", "sign this" were read as subscribing to everything)."""
_SUBSCRIPTION_WORDS: Final = word_set("subscription subscriptions feed")
_HERE: Final = word_set("here channel room us")
_SILENCE_NOUNS: Final = word_set("silence mute snooze")
_PUT: Final = word_set("put add create set place")
_DO: Final = word_set("do perform trigger give start")
_NOUN_LEAD: Final = word_set("a an the it them another quick full rolling fresh")
"""What may stand between "do"/"give it" and the action noun: "do a rolling restart"."""
_SPANS: Final[dict[IntentName, frozenset[str]]] = {
    I.REMEDIATION: frozenset({"number", "window"}),
    I.ALERT_SILENCE: frozenset({"duration", "until"}),
    I.SUBSCRIBE: frozenset({"severity"}),
    I.UNSUBSCRIBE: frozenset({"severity"}),
    I.APPROVE: frozenset(),
    I.DENY: frozenset(),
}
"""The spans a command's words may be, besides its slot values ("for 2h" in a silence)."""
_NAMES: Final = ("target", "alertname", "request_id", "action", "silence_id", "alert_id")
PRONOUNS: Final = word_set("it that this them")


def read_command(a: Analysis, actions: Collection[str] = ()) -> Command | None:
    """The command in ``a``, if one of its clauses starts with a command verb (or a near
    miss of one); ``actions`` are the policy's custom action names ("flush-cache")."""
    decided = decisions.read_decision(a)
    if decided is not None:
        last = len(a.tokens) - 1
        framed = list_item(a) or addressed(a) or _labelled(a, range(last, last + 1))
        return Command(decided[0], {"request_id": decided[1]} if decided[1] else {}, hedged=framed)
    found: list[tuple[range, int, Verb | None, bool]] = []
    for clause in clauses(a):
        head = _after_prefix(a, clause)
        if head is None:
            continue
        verb, typo = _head_verb(a, head, actions)
        if verb is not None or typo:
            found.append((clause, head, verb, typo))
    exact = [f for f in found if not f[3]]
    found = exact or found  # a near miss in a reason ("stale sessions") is not a verb
    if not found:
        return None
    clause, head, verb, typo = found[0]
    read = _read(a, clause, head, verb, typo, actions, hedged=len(found) > 1)
    listed = (
        _lists_more(a, clause, verb)
        or _sequel(a, clause)
        or _narrowed(a, clause, verb)
        or _second_severity(a, verb)
    )
    if read is not None and listed is not None and read.extra is None:
        return dataclasses.replace(read, extra=listed)
    if read is not None:
        unsure = _unsure(a, clause, read.intent)
        done = unsure is not None and _told_done(a, clause)
        read = dataclasses.replace(read, unsure=unsure, hedged=read.hedged or done)
    if read is not None and read.intent is I.REMEDIATION:
        return dataclasses.replace(read, reason=_said_reason(a, clause))
    return read


def _unsure(a: Analysis, command: range, intent: IntentName) -> str | None:
    """The first other clause that is neither politeness ("thanks", "ok,", "please") nor a
    reason, as written: a reason starts with "because", "since", "cuz", "per", "reason:" or
    names a problem ("OOM loop", "known flake", "pods stuck", "deploy in progress") and says
    nothing of how things went ("went fine", "took 4 mins", "all good now"). Anything else
    ("— went fine", "the magic button", "yuki you're up —", "first thing monday,") may take
    the command back, report it or hand it on: the bot asks instead of acting."""
    for clause in clauses(a):
        if clause == command or _go_ahead(a, clause, command):
            continue  # the command, or a go-ahead before it ("ok,", "go for it:")
        # as typed: a spelling fix may make another word ("black friday" -> "back")
        said = [a.tokens[i].lower for i in clause]
        words = [w for w in said if w not in _BENIGN and w.strip(decisions.DASH_CHARS + "()[]")]
        after = clause.start > command.start
        if set(words) <= _FILLERISH or _a_reason(a, clause, said, words, intent, after=after):
            continue
        return " ".join(a.tokens[i].raw for i in clause)
    return None


def _go_ahead(a: Analysis, clause: range, command: range) -> bool:
    """Whether ``clause`` is only a go-ahead before the command ("k,", "go for it:")."""
    return clause.start < command.start and _after_prefix(a, clause) is None


def _told_done(a: Analysis, command: range) -> bool:
    """Whether another clause says the command was already carried out ("(did it
    yesterday)", "— request #4521 created"): a record of it, neither run nor offered."""
    return any(c != command and {a.tokens[i].lower for i in c} & _DONE_WORDS for c in clauses(a))


_DONE_WORDS: Final = word_set(
    """
    done did took went worked finished completed already created opened filed submitted
    recovered sorted fixed resolved succeeded success successful wrapped ran executed
    logged confirmed verified yesterday ago restarted rebooted bounced scaled rolled
    silenced muted acked acknowledged unsilenced subscribed unsubscribed applied handled
    closed ended merged shipped solved
    """
)


def _a_reason(
    a: Analysis,
    clause: range,
    said: list[str],
    words: list[str],
    intent: IntentName,
    *,
    after: bool,
) -> bool:
    """Whether a clause gives the command's reason: ``said`` is the clause as typed,
    ``words`` the same without politeness; ``after``: it follows the command. A reason
    names what is wrong ("OOM loop", "pods stuck", "health checks failing"); or, after the
    command, the work it is for ("— maintenance", "deploy in progress") while nothing says
    it is over or fine; or starts with "because", "since", "cuz", "per"; or, after a
    denial, says what is wrong with the request, and after an approval what is good about
    it. Told as a joke, a drill, a test, for later or done already, or negated ("nothing
    is down"), it is none: the command is asked back."""
    typed = set(said) - _measured(said)
    heard = typed | {_stem(w) for w in said}  # "failing" is "fail"; not for the checks of
    # how it went, where "working" is no "work"
    if intent is I.DENY and any(_why_not(a, i) for i in clause):
        return True  # "deny 12, too risky", "deny 12, no rollback plan"
    if "on" in words and set(words) <= _ON_IT:
        return intent in _TAKING  # "ack 3f2a, on it", "I'm on it"; a restart is asked back
    if typed & _NOT_A_REASON or (intent is not I.DENY and heard & _HOLD_OFF):
        return False  # "— just testing", "this is a drill", "— during the window"
    if _handed_on(a, clause, said) or _remarks(said) or _done_by_another(said):
        return False  # "— the db team is on it"; "that's what caused the outage in march"
    if after and said[0] == "so" and (heard & _WRONG or set(said) & _HEARSAY):
        return False  # "so it breaks", "so I'm told": trouble as the aim, or someone's word
    waits = _NOT_YET | _UNDECIDED if intent in _DECIDING else _NOT_YET
    if intent in _DECIDING | {I.REMEDIATION} and heard & waits:
        return False  # "approve 2207, waiting on security", "— staging deploy first"
    because = words[0] in _BECAUSE and a.word(clause.start + 1) != "when"
    if because and heard & _WRONG and not heard & _NEGATED:
        return True  # "because the config change took down the homepage": a cause, not done
    if typed & _DONE_WORDS and not (intent in _UNDOING and heard & _WORK and typed & _IS):
        return False  # "— went fine", "(ran fine at midnight)"
    if intent is I.APPROVE:
        if heard & (_AGAINST - _NEEDED | _RISKY | _NEGATED | _FAILING):
            return False  # "approve 64, sounds risky", "approve 64 — nothing is down"
        if heard & _IN_FAVOUR:
            return True  # "approve 918, tests pass", "CI is green"
    if intent is I.DENY:
        if heard & (_IN_FAVOUR | _NEGATED):
            return False  # "deny 918 — it's fine", "— nothing wrong with it"
        if heard & _AGAINST:
            return True  # "deny 103, wrong service"
    went = typed & (_HOW_IT_WENT | _DONE_WORDS | _RESOLVED)
    if went <= _RECURRING and heard & _WRONG:
        went = set()  # "memory leak again", "the 502s are back": the trouble returned
    if went:
        # "— went fine", "customers are fine", "the outage is over"; yet "maintenance is
        # done" is why an alert may notify again
        return intent in _UNDOING and bool(heard & _WORK) and bool(typed & _IS)
    if heard & _NEGATED:
        return because  # "nothing is down"; "because users can't connect"
    if because or heard & _WRONG:
        return True
    if heard & _WORK and after:
        return True  # "— deploy in progress"; a leading "kenji owns the incident —" is none
    return tuple(words[:2]) in _STATES  # "it was at 3", "we're cleaning up"


def _measured(said: Sequence[str]) -> set[str]:
    """ "over" and "above" that compare with a number ("latency is over 500ms"): no "the
    outage is over"."""
    return {w for w, n in itertools.pairwise(said) if w in _COMPARED and n[:1].isdigit()}


_COMPARED: Final = word_set("over above")


def _handed_on(a: Analysis, clause: range, said: Sequence[str]) -> bool:
    """Whether a clause gives the work to people ("the db team is on it", "let the capacity
    team handle it", "frontend on-call is doing it", "priya has it"): someone else's, so
    the bot does not run it too."""
    group = any(w in _PEOPLE for w in said)  # "the db team", "my colleague", "our sre"
    if not group and set(said) & _SPEAKER:
        return False  # "i'm on it": the speaker's own work
    if not group and not _a_person(a.tokens[clause.start]):
        return False
    pairs = set(itertools.pairwise(said))
    doing = any(verb_at(said, i) is not None for i in range(len(said)))
    return doing or bool(set(said) & _HANDLING) or bool(pairs & _HAS_IT)  # "is restarting it"


_SPEAKER: Final = word_set("i me we us my our")
_PEOPLE_AS_OBJECTS: Final = word_set("me myself us ourselves you yourself yourselves him her")


_HANDLING: Final = word_set("handle handling handles take taking takes own owns owning covering")
_HAS_IT: Final = frozenset(
    (verb, it)
    for verb in ("on", "has", "have", "got", "do", "doing", "does", "cover")
    for it in ("it", "this", "that")
)


def _remarks(said: Sequence[str]) -> bool:
    """A remark on the command itself ("that's what caused the outage in march", "which is
    exactly how we broke prod"): no reason for it."""
    return len(said) > 2 and said[0] in _THAT and said[1] == "is" and bool(set(said[2:4]) & _HOW)


_HEARSAY: Final = word_set("told says said say hear heard claims")
_THAT: Final = word_set("that this which")
_HOW: Final = word_set("what how why")


def _done_by_another(said: Sequence[str]) -> bool:
    """An action done to "it" by someone or something ("the dba is restarting it", "the
    automation is rolling it back"): not a reason to do it again."""
    return any(
        verb_at(said, i) is not None and i + 1 < len(said) and said[i + 1] in PRONOUNS
        for i in range(len(said))
    )


def _stem(word: str) -> str:
    """``word`` without a common ending ("failing" -> "fail", "corrupts" -> "corrupt")."""
    for ending in ("ing", "ed", "es", "s"):
        if len(word) > len(ending) + 3 and word.endswith(ending):
            return word[: -len(ending)]
    return word


_RECURRING: Final = word_set("again")
"""How it went ("working again") unless said of trouble ("OOM again"); "back" stays how it
went ("5xx back down")."""
_UNDOING: Final = frozenset({I.UNSILENCE, I.UNSUBSCRIBE})
_TAKING: Final = frozenset({I.ACK, I.ALERT_SILENCE})
"""Commands that say the speaker is taking the alert ("ack 3f2a, on it")."""
_DECIDING: Final = frozenset({I.APPROVE, I.DENY})
_HOLD_OFF: Final = word_set("freeze frozen risky unsafe dangerous untested unreviewed")
"""Said against any action but a denial ("restart authz, we have a change freeze")."""
_NOT_YET: Final = word_set("waiting first confirm decide owner owns vote sign-off")
_UNDECIDED: Final = word_set("pending still approval")
"""A decision or a change that waits for someone ("approve 2207, waiting on security")."""
_NEEDED: Final = word_set("need needs")
_FAILING: Final = word_set(
    "fail failing failed failure fails broken broke red high bug buggy regression garbage flaky"
)
"""After an approval, what says the change is not fit ("approve 2207, the tests are failing");
an outage it fixes is no such word ("approve 103, the hotfix for the outage")."""
_RISKY: Final = word_set("risky dangerous unsafe early late big broad wide sketchy scary")
_FILLERISH: Final = word_set("it a an the you are 're so very")
"""Left of a thank-you once its words are taken out ("appreciate it", "you're a star")."""
_IS: Final = word_set("is are was were 's")
_ON_IT: Final = word_set("on it i am 'm we are 're looking into")
_NEGATED: Final = word_set("nothing not no never none nobody without n't cannot")
_NOT_A_REASON: Final = word_set(
    """
    drill sarcasm sarcastic prank joke joking kidding test testing though although
    even luck sketchy nobody why lol haha meme yolo horoscope vibes during next tomorrow
    tomorrow's tonight later probably maybe fake cancelled canceled anyway always usual
    official blame leave whoever hate burn nvm oops whoops meant :p ;) :d
    """
)
_RESOLVED: Final = word_set(
    "fine over normal healthy ok okay good great green stable recovered calm quiet clear"
)
_AGAINST: Final = word_set(
    """
    wrong bad risky unsafe needs need missing incorrect typo mistake duplicate dup outdated
    stale blocked freeze frozen review untested unclear nope breaks break covered
    """
)
"""After a denial, words of its reason ("deny 103, wrong service")."""
_IN_FAVOUR: Final = word_set(
    """
    good lgtm fine great tested safe agreed ship ok pass passes passed passing green low
    reviewed checked verified approved signed
    """
)
"""After an approval, words that agree with it ("approve 305, looks good", "tests pass")."""
_WRONG: Final = word_set(
    """
    down stuck hung hang hanging broken broke break crash crashloop crashlooping oom
    oomkilled leak leaky memory-leak slow slowness error erroring 5xx 500s 502s 503s 504s
    timeout timing unresponsive dead dying degraded flapping flaky flake noisy noise spam
    spike spiking full wedged deadlock stale corrupt bad bug buggy regression lag lagging
    backlog saturated throttl throttled evicted pending restarting loop looping misbehaving
    wonky borked busted hosed stalled frozen thrash thrashing pressure exhausted overloaded
    overload fail failing failure refused blank wrong drop dropped dropping high growing
    missing urgent urgently emergency sev1 sev2 p1 p2 impact impacted need needs requires
    outage backing deadlocked enough spammy
    """
)
"""What is wrong: a reason to act ("restart ledger - OOM loop"); endings are stemmed."""
_WORK: Final = word_set(
    """
    maintenance planned patching patch deploy deploying deployment upgrade upgrading
    migration migrating failover cleanup rollout release investigating debugging known
    issue issues problem problems traffic load capacity expected scheduled sale friday peak
    holiday waiting upstream vendor provider aws gcp azure dependency runbook ticket jira
    thread discussed agreed rotation launch moved pagerduty config
    misconfigured backup backups customers users cpu disk latency errors prod production
    staging canary working looking checking digging handling fire fires firing alert
    alerts page paging
    """
)
"""The work or the circumstance an action is for ("silence X for 2h, deploy in progress")."""


_STATES: Final = frozenset(
    (who, be)
    for who in ("it", "its", "it's", "they", "we", "i", "there", "he", "she")
    for be in ("is", "was", "are", "were", "am", "has", "have", "had", "keeps", "seems")
)
"""How things stand, said after a command: a reason ("scale payments to 10, it was at 3")."""


_BENIGN: Final = word_set(
    """
    ok okay alright right sure fine cool great yes yep yeah please pls plz kindly thanks thank
    you thx ty cheers hi hey hello bot smartcloudops now so go ahead asap quickly again then
    let me know lmk keep us posted updated much appreciated appreciate lot mate star good
    ta tia legend prod production staging canary
    🙏 👍 :pray :+1 :thumbsup
    """
)
_BECAUSE: Final = _REASONS | word_set("given reason reasons while")
"""What starts a reason clause: the words that cut one off (:data:`_REASONS`) and a few that
lead one only after a comma ("given ...", "reason: ...", "while we patch it")."""
_HOW_IT_WENT: Final = word_set(
    """
    done fine worked works work ok okay good great healthy success successful succeeded
    fixed resolved sorted stable back took did already earlier finished completed complete
    recovered green passed passing charm trick beat again sign-off signoff approved denied
    queued
    """
)


_ASSENT: Final = word_set(
    "alright cool great perfect nice awesome roger gotcha righto sweet lovely noted agreed k kk"
)
"""Words of assent before a command ("alright, restart web-1"): the user's own go, not a
second target to refuse."""
_NO_REASON: Final = _ASSENT | word_set(
    "thanks thank you thx ty cheers please pls plz asap now ok okay right sure fine yes yep yeah"
    " go ahead so"
)
_ORDINARY: Final = NOT_NAMES | lexicon.COMMON_WORDS | lexicon.DOMAIN_WORDS | _REASON_WORDS | _ASSENT
"""Words that are no name of a target or a person ("maintenance", "alright"): built once,
not for every word read."""


def _said_reason(a: Analysis, command: range) -> str | None:
    """The words of the clauses other than the command, without a leading "because" and
    without clauses of mere politeness ("thanks")."""
    parts = []
    for clause in clauses(a):
        words = [i for i in clause if a.words[i] not in _NO_REASON]
        if clause == command or not words or _go_ahead(a, clause, command):
            continue
        start = clause.start + (a.words[clause.start] in _REASONS)
        if start > clause.start and a.word(start) in ("of", "to"):
            start += 1  # "bc of a leak", "due to a leak"
        parts.append(" ".join(a.tokens[i].raw for i in range(start, clause.stop)))
    said = neutral(" ".join(parts))
    return said or None


def _lists_more(a: Analysis, command: range, verb: Verb | None) -> str | None:
    """Another clause that is a bare name or number, the rest of a list ("restart
    payments, checkout-api", "deny 14, 15"), as written with its comma; not a denial's
    reason ("deny 12, too risky")."""
    for clause in clauses(a):
        if clause == command or _go_ahead(a, clause, command):
            continue  # the command, or a go-ahead ("k, restart web-1")
        if verb is not None and verb.intent is I.DENY and _why_not(a, clause.start):
            continue
        if a.words[clause.start] == "too" and _says_why(a, clause.start):
            continue  # "unsubscribe warning, too noisy": a reason
        plain = [
            t.lower
            for t in (a.tokens[i] for i in clause)
            if not _strongly_listed(t) or t.lower in _WRONG  # "OOMKilled 3 times": no name
        ]
        intent = verb.intent if verb else I.UNKNOWN
        if plain and _a_reason(a, clause, plain, plain, intent, after=clause.start > command.start):
            continue  # "restart ledger, OOM loop", "silence X for 1h - known flake"
        words = [i for i in clause if a.words[i] not in _LIST_JOINS | _BENIGN]
        if 0 < len(words) <= 2 and all(_listed(a.tokens[i]) for i in words):
            return _later_clause(a, clause)
        after = clause.start > command.start
        if after and words and _strongly_listed(a.tokens[words[0]]) and _takes_more(a, words, verb):
            return _later_clause(a, clause)
    return None


_THEN: Final = word_set("then afterwards afterward after next later")
_GOES_ON: Final = word_set("back again undo revert same too also")


def _sequel(a: Analysis, command: range) -> str | None:
    """A later clause that gives one more instruction ("restart web-1, then web-2", "scale
    payments to 10, then back to 3"), as written with its comma: the command as read would
    run the first half only. A remark ("then we'll see", "then let me know") is not one."""
    for clause in clauses(a):
        if clause.start <= command.start:
            continue
        words = [i for i in clause if a.words[i] not in _LIST_JOINS]
        if not words or a.words[words[0]] not in _THEN:
            continue
        if any(_goes_on(a, i) for i in words[1:]):
            return _later_clause(a, clause)
    return None


_ONLY: Final = word_set("only except excluding")
_SCOPES: Final = word_set("on for in at")


def _narrowed(a: Analysis, command: range, verb: Verb | None) -> str | None:
    """A later clause that narrows or lengthens the command ("silence DiskFull for 2h, on
    db-1", "subscribe critical, only payments", "restart payments, the canary pod only",
    "silence X, for 2h"), as written with its comma: read alone, the command would act more
    broadly, or for longer, than asked. A remediation's reason names things freely ("restart
    payments, the pods are stuck on startup"): only "only"/"except" narrow it. A denial's
    reason is not one ("deny 12, too risky for payments")."""
    if verb is None or verb.intent is I.DENY:
        return None
    for clause in clauses(a):
        if clause.start <= command.start:
            continue
        words = a.words[clause.start : clause.stop]
        scoped = verb.intent is not I.REMEDIATION and any(
            w in _SCOPES and i + 1 < clause.stop and _names_something(a, i + 1)
            for i, w in zip(clause, words, strict=True)
        )
        lengthened = verb.intent is I.ALERT_SILENCE and any(
            s.kind == "duration" and s.start in clause for s in a.spans
        )
        rescaled = (  # "scale payments to 10, search to 8": a second scale
            verb.action == "scale"
            and "to" in words
            and any(s.kind == "number" and s.start in clause for s in a.spans)
        )
        just = any(  # "silence DiskFull for 2h. just db-1", "restart payments, just the worker"
            w == "just"
            and i + 1 < clause.stop
            and (a.words[i + 1] == "the" or _names_something(a, i + 1))
            for i, w in zip(clause, words, strict=True)
        )
        if scoped or lengthened or rescaled or just or set(words) & _ONLY:
            return _later_clause(a, clause)
    return None


def _second_severity(a: Analysis, verb: Verb | None) -> str | None:
    """ "subscribe critical and warning": a subscription takes one level (and everything
    above it); reading the first would drop the second."""
    if verb is None or verb.intent not in POSTING:
        return None
    levels = a.of_kind("severity")
    if len(levels) < 2:
        return None
    return " ".join(t.raw for t in a.tokens[levels[1].start : levels[1].end])


def _names_something(a: Analysis, i: int) -> bool:
    """Word ``i`` (or the one after "the") is shaped like a host or an alert name ("db-1",
    "HighLatency"), not a word of a reason ("in progress", "waiting on aws", "at 3pm")."""
    if a.words[i] == "the" and i + 1 < len(a.tokens):
        i += 1
    token = a.tokens[i]
    return a.span_at(i) is None and (is_hostlike(token) or is_camel(token))


def _goes_on(a: Analysis, i: int) -> bool:
    """Word ``i`` names a command, something to act on or a return to before."""
    token = a.tokens[i]
    return (
        verb_at(a.words, i) is not None
        or a.words[i] in _GOES_ON
        or _strongly_listed(token)
        or (token.is_plain_name and any(c.isdigit() for c in token.raw))
    )


def _later_clause(a: Analysis, clause: range) -> str:
    """A clause after the command, as written with the comma before it: what a refusal
    reports the command could not hold (", web-2", ", then web-2", ", on db-1")."""
    return ", " + " ".join(a.tokens[i].raw for i in clause)


def _strongly_listed(token: Token) -> bool:
    return token.raw.lstrip("#").isdigit() or is_hostlike(token) or is_camel(token)


def _takes_more(a: Analysis, words: Sequence[int], verb: Verb | None) -> bool:
    """Whether the rest of a clause that starts with a name goes on with what the command
    takes ("silence NodeDown on web-1, web-2 for 2h"): the list goes on, with its own
    length or count, so the command as read would drop part of what was asked."""
    kinds = _SPANS.get(verb.intent, frozenset()) if verb is not None else frozenset()
    return any((span := a.span_at(i)) is not None and span.kind in kinds for i in words[1:])


def _listed(token: Token) -> bool:
    """A word that could be one more target or request number (not a reason such as
    "maintenance" or an ordinary word)."""
    if _strongly_listed(token):
        return True
    return token.is_plain_name and token.lower not in _ORDINARY


def clauses(a: Analysis) -> tuple[range, ...]:
    """Token index ranges of the clauses of ``a``: cut after clause punctuation, at a lone
    dash and before a reason word ("because", or "since" that is not a time). Worked out
    once per analysis: a command's readers ask for them several times."""
    kept = a.memo.get("clauses")
    if kept is None:
        kept = a.memo["clauses"] = _clauses(a)
    return kept


def _clauses(a: Analysis) -> tuple[range, ...]:
    out: list[range] = []
    start = 0
    for i, token in enumerate(a.tokens):
        if token.norm in decisions.DASHES:
            out.append(range(start, i))
            start = i + 1
        elif i > start and a.span_at(i) is None and _starts_reason(a.words, i):
            out.append(range(start, i))
            start = i
        elif token.stop:
            out.append(range(start, i + 1))
            start = i + 1
    out.append(range(start, len(a.tokens)))
    return tuple(c for c in out if len(c))


def _starts_reason(words: Sequence[str], i: int) -> bool:
    """ "because ...", "while we patch it", "it is stuck": a reason, not more command."""
    if words[i] in _SUBJECT_REASONS:
        return i + 1 < len(words) and words[i + 1] in _SUBJECTS
    if words[i] in _REASONS:
        return True
    pairs = _REASON_PAIRS_BY_FIRST.get(words[i], ())
    return any(tuple(words[i : i + len(p)]) == p for p in pairs)


def _after_prefix(a: Analysis, clause: range) -> int | None:
    i = clause.start
    while i < clause.stop:
        starting = _PREFIXES_BY_FIRST.get(a.words[i], ())
        step = max((len(p) for p in starting if tuple(a.words[i : i + len(p)]) == p), default=0)
        if step == 0 or i + step > clause.stop:
            break
        i += step
    return i if i < clause.stop else None


def _head_verb(a: Analysis, head: int, actions: Collection[str]) -> tuple[Verb | None, bool]:
    """The command verb at ``head`` and whether it is a typo: exact spelling first, then the
    spelling-corrected one (a typo is asked about, never acted on)."""
    lower = [t.lower for t in a.tokens]
    custom = _custom_head(a, head, actions)
    if custom is not None:
        return custom
    exact = verb_at(lower, head)
    if exact is not None and exact.form == GERUND and _minds(lower, head):
        return Verb(exact.start, exact.end, exact.intent, exact.action, BASE), False
    if exact is not None and _names_a_measure(lower, exact.end):
        return None, False  # "restart count for payments pods": a number asked about
    if exact is not None:
        return (exact, False) if exact.form == BASE else (None, False)
    special = _special_head(a, head, lower)
    if special is not None:
        return special, False
    corrected = verb_at(list(a.words), head)
    if corrected is not None and corrected.form == BASE and _may_be_typo(lower[head], a, head):
        return corrected, True
    return None, False


_MEASURES: Final = word_set(
    """
    count counts counter counters number numbers rate rates total totals history loop loops
    policy policies storm storms stats budget backoff time times reason reasons events log
    logs frequency limit limits
    """
)
_OF: Final = word_set("for of on in across per by at over from")


def _names_a_measure(lower: Sequence[str], after: int) -> bool:
    """Whether the verb is the first half of a noun ("restart count for payments", "restart
    history of web-1", "scale events on checkout"): a measure of actions, not an order."""
    return after + 1 < len(lower) and lower[after] in _MEASURES and lower[after + 1] in _OF


def _may_be_typo(written: str, a: Analysis, head: int) -> bool:
    """Whether the word as written may be a typo of the verb it was corrected to: not an
    everyday word ("stale" ~ scale) and not one that drops or adds an "un" ("unscribe" is
    no subscribe)."""
    fixed = a.words[head]
    if written in lexicon.NOT_TYPOS or inflected(written):
        return False  # "subscribers to info", "restores db-primary"
    return written.startswith("un") == fixed.startswith("un")


_MIND: Final = (("would", "you", "mind"), ("do", "you", "mind"))


def _minds(lower: Sequence[str], head: int) -> bool:
    """ "would you mind muting ...", "could you mind restarting ...": a polite order."""
    return tuple(lower[max(0, head - 3) : head]) in _MIND


def _custom_head(
    a: Analysis, head: int, actions: Collection[str]
) -> tuple[Verb | None, bool] | None:
    """A policy action named as the verb: "flush-cache payments" (exact), "flush cache for
    payments" (a near miss: ask)."""
    lower = a.tokens[head].lower
    if lower in actions:
        return Verb(head, head + 1, I.REMEDIATION, lower, BASE), False
    pair = "-".join(t.lower for t in a.tokens[head : head + 2])
    if pair in actions and head + 1 < len(a.tokens):
        return Verb(head, head + 2, I.REMEDIATION, pair, BASE), True
    return None


def _special_head(a: Analysis, head: int, lower: Sequence[str]) -> Verb | None:
    """Commands whose verb is an everyday word made specific by what follows: "bring search
    up to 6 replicas", "undo the last deploy of payments", "end silence 3f2a", "post
    critical alerts here", "stop posting alerts here", "do a rolling restart of payments"."""
    word, rest = lower[head], lower[head + 1 :]
    found = (
        _scale_or_rollback(a, head, word, rest)
        or _silence_idiom(head, word, rest)
        or _subscription_idiom(a, head, lower)
    )
    if found is not None:
        return found
    if word in _DO or tuple(lower[head : head + 2]) == ("kick", "off"):
        return _action_noun(lower, head)
    return None


def _scale_or_rollback(a: Analysis, head: int, word: str, rest: Sequence[str]) -> Verb | None:
    counted = any(s.kind == "number" for s in a.spans) or "more" in rest or "fewer" in rest
    if word in _SCALE_VERBS and (set(rest) & _SCALE_EVIDENCE or "to" in rest[:4]) and counted:
        return Verb(head, head + 1, I.REMEDIATION, "scale", BASE)
    if word in _UNDO and set(rest) & word_set("deploy deployment release rollout"):
        return Verb(head, head + 1, I.REMEDIATION, "rollback", BASE)
    return None


def _silence_idiom(head: int, word: str, rest: Sequence[str]) -> Verb | None:
    """ "end silence 3f2a", "shut X up", "put a 2h silence on payments"."""
    if word in _END_SILENCE and set(rest[:2]) & {"silence", "silences"}:
        return Verb(head, head + 1, I.UNSILENCE, None, BASE)
    if word == "shut" and "up" in rest[:4]:
        return Verb(head, head + 1, I.ALERT_SILENCE, None, BASE)
    if word in _PUT and set(rest[:4]) & _SILENCE_NOUNS:
        return Verb(head, head + 1, I.ALERT_SILENCE, None, BASE)
    return None


def _subscription_idiom(a: Analysis, head: int, lower: Sequence[str]) -> Verb | None:
    """ "post critical alerts here", "notify us about payments", "start posting alerts
    here", "turn off notifications here", "stop posting alerts here", "no more alerts in
    here", "opt out of warning alerts", "cancel our subscription"."""
    word, rest = lower[head], set(lower[head + 1 :])
    pair = tuple(lower[head : head + 2])
    alerts = bool(rest & _ALERT_WORDS) or a.first("severity") is not None
    if word in _SEND and alerts and rest & _HERE:
        return Verb(head, head + 1, I.SUBSCRIBE, None, BASE)
    if word == "notify" and rest & _HERE:
        return Verb(head, head + 1, I.SUBSCRIBE, None, BASE)
    if pair in (("sign", "us"), ("sign", "this")) and alerts:
        return Verb(head, head + 1, I.SUBSCRIBE, None, BASE)
    if pair in (("start", "posting"), ("start", "sending")) or (
        pair in (("turn", "on"), ("keep", "us")) and alerts
    ):
        return Verb(head, head + 2, I.SUBSCRIBE, None, BASE)
    if word == "stop" and (lower[head + 1 : head + 2] and lower[head + 1] in _STOP_SENDING):
        return Verb(head, head + 2, I.UNSUBSCRIBE, None, BASE)
    if word == "stop" and rest & _ALERT_WORDS:
        return Verb(head, head + 1, I.UNSUBSCRIBE, None, BASE)
    if pair in (("turn", "off"), ("opt", "out"), ("no", "more")) and (alerts or rest & _HERE):
        return Verb(head, head + 2, I.UNSUBSCRIBE, None, BASE)
    if word in ("remove", "cancel") and rest & (_ALERT_WORDS | _SUBSCRIPTION_WORDS):
        return Verb(head, head + 1, I.UNSUBSCRIBE, None, BASE)
    return None


def _action_noun(lower: Sequence[str], head: int) -> Verb | None:
    """ "do a rolling restart of X", "give it a restart": the action is the noun."""
    j = head + 2 if tuple(lower[head : head + 2]) == ("kick", "off") else head + 1
    while j < len(lower) and lower[j] in _NOUN_LEAD:
        j += 1
    noun = verb_at(lower, j)
    if noun is None or noun.form not in (NOUN, BASE) or noun.intent is not I.REMEDIATION:
        return None
    return None if noun.action is None else Verb(head, noun.end, I.REMEDIATION, noun.action, BASE)


def _read(
    a: Analysis,
    clause: range,
    head: int,
    verb: Verb | None,
    typo: bool,
    actions: Collection[str],
    *,
    hedged: bool = False,
) -> Command | None:
    if verb is None:
        return None
    sub = analyse_tokens(
        " ".join(t.raw for t in a.tokens[head : clause.stop]),
        a.tokens[head : clause.stop],
        a.clock,
    )
    offset = verb.end - head
    slots = _slots(sub, verb, offset)
    if verb.intent in POSTING and any(is_channel(t) for t in sub.tokens):
        slots.pop("target", None)  # "subscribe to critical in #ops": a channel, not a target
    relative = verb.action == "scale" and _relative_count(sub)
    if relative:
        slots.pop("replicas", None)  # a change of the count, not the count: refused below
    if verb.intent is I.REMEDIATION and "action" not in slots:
        return None  # "run a custom prometheus expression": no action named, not an order
    if verb.intent is I.REMEDIATION and sub.word(offset) in _PEOPLE_AS_OBJECTS:
        return None  # "scale me to 3 replicas so i can sleep", "restart me": no service
    if verb.intent in (I.ACK, I.UNSILENCE) and not slots:
        return None  # "ack, thanks": nothing named to act on
    pronoun = False
    if "target" not in slots and verb.intent is I.REMEDIATION:
        borrowed = _pronoun_target(a, sub, clause)
        if borrowed is not None:
            slots["target"], pronoun = borrowed, True
    extra = _change_words(sub) if relative else _unexplained(sub, offset, verb.intent, slots)
    if verb.intent is I.ALERT_SILENCE and "duration" not in slots:
        extra = _unreadable_length(sub, slots) or extra
        if extra is not None and LENGTH_RANGE.fullmatch(str(slots.get("target", ""))):
            slots.pop("target")  # "1h30" was never a host
    return Command(
        verb.intent,
        slots,
        typo=typo,
        extra=extra,
        hedged=hedged or _hedged(a, clause, head, verb),
        asked=_asked(a, clause, head),
        pronoun=pronoun,
        relative=relative,
    )


def _unreadable_length(sub: Analysis, slots: dict[str, SlotValue]) -> str | None:
    """A silence's length the parser cannot measure, as "for ..." ("for 1h30", "for 2-3h",
    "for today", "for tonight"): refused with the length said back, never silenced for the
    default hour or on a host called "1h30"."""
    for i, word in enumerate(sub.words[:-1]):
        if word != "for":
            continue
        after = sub.tokens[i + 1]
        span = sub.span_at(i + 1)
        if after.raw == slots.get("target") and LENGTH_RANGE.fullmatch(after.raw):
            return f"for {after.raw}"
        if (span is not None and span.kind == "window") or after.lower in _DAY_PARTS:
            return " ".join(t.raw for t in sub.tokens[i:])
    return None


_DAY_PARTS: Final = word_set("today tonight")


def _slots(sub: Analysis, verb: Verb, offset: int) -> dict[str, SlotValue]:
    if verb.intent is I.UNSILENCE:
        return _named(sub, offset, "silence_id")
    if verb.intent is I.ACK:
        return _named(sub, offset, "alert_id")
    slots = extract_slots(verb.intent.value, sub)
    if verb.intent is I.REMEDIATION and verb.action is not None:
        slots["action"] = verb.action
        if verb.end - verb.start > 1 or verb.action not in ("restart", "scale", "rollback"):
            slots.pop("target", None)
            target = find_target(sub, exclude=range(offset)) or _next_name(sub, offset)
            if target is not None:
                slots["target"] = target[1]
        if verb.action != "scale":
            slots.pop("replicas", None)
    elif "target" in slots and (found := find_target(sub)) is not None and found[0] < offset:
        # a verb's own word taken for the target ("shut up": "shut" read as "is shut up?")
        rest = find_target(sub, exclude=range(offset))
        if rest is None:
            slots.pop("target")
        else:
            slots["target"] = rest[1]
    return {k: v for k, v in slots.items() if k not in _NAMES or _plain(v)}


_BY_HOW_MANY: Final = word_set("add remove increase decrease reduce bump grow shrink")
_CHANGE_AFTER: Final = word_set("more fewer less extra additional")


def _relative_count(sub: Analysis) -> bool:
    """Whether the count is a change, not the size wanted: "scale x by 2", "scale x up 3",
    "give x 2 more replicas", "add 2 replicas" (the bot scales to a count; it never guesses
    the current one to change). "increase x from 3 to 5" says the size: not a change."""
    numbers = sub.of_kind("number")
    to_a_size = any(sub.word(n.start - 1) == "to" for n in numbers)
    for span in numbers:
        before, after = sub.word(span.start - 1), sub.word(span.end)
        if before in ("by", "up", "down") or after in _CHANGE_AFTER:
            return True
        if sub.words[0] in _BY_HOW_MANY and not to_a_size and before != "from":
            return True
    return False


def _change_words(sub: Analysis) -> str:
    """The words of a relative count as written ("by 2", "2 more replicas")."""
    first = sub.of_kind("number")[0].start
    if sub.word(first - 1) in ("by", "up", "down"):
        first -= 1
    return " ".join(t.raw for t in sub.tokens[first:])


def _next_name(sub: Analysis, offset: int) -> tuple[int, str] | None:
    """The first plain name after a custom action ("flush-cache payments")."""
    filler = _FILLER[I.REMEDIATION] | _COMMON_FILLER
    for i in range(offset, len(sub.tokens)):
        token = sub.tokens[i]
        if token.norm in filler or sub.span_at(i) is not None:
            continue
        return (i, token.raw) if token.is_plain_name and token.lower not in NOT_NAMES else None
    return None


_NOT_IDS: Final = PRONOUNS | word_set("all every everything them those these")


def _named(sub: Analysis, offset: int, slot: str) -> dict[str, SlotValue]:
    """The id or name after "unsilence"/"ack" (skipping "the silence", "alert group").
    For ``unsilence`` a CamelCase word is the alert's name and a host-like one a target
    ("unmute HighLatency", "remove the silence on web-1"); anything else is the id."""
    filler = _FILLER[I.UNSILENCE] | _FILLER[I.ACK]
    for token in sub.tokens[offset:]:
        if token.norm in filler:
            continue
        raw = token.raw.lstrip("#")
        if not _plain(raw) or token.norm in _NOT_IDS:
            return {}  # "ack it", "expire all silences": nothing named
        if slot == "silence_id" and not _SILENCE_ID.fullmatch(raw):
            if is_camel(token):
                return {"alertname": raw}
            if is_hostlike(token) or token.lower not in NOT_NAMES:
                return {"target": raw}
        return {slot: raw}
    return {}


def _pronoun_target(a: Analysis, sub: Analysis, clause: range) -> str | None:
    """ "web-1 is hung, reboot it": "it" is the one target named in another clause."""
    if not any(w in PRONOUNS for w in sub.words):
        return None
    names: set[str] = set()
    for other in clauses(a):
        if other == clause:
            continue
        tokens = a.tokens[other.start : other.stop]
        found = find_target(analyse_tokens(" ".join(t.raw for t in tokens), tokens, a.clock))
        if found is not None:
            names.add(found[1])
    return names.pop() if len(names) == 1 else None


def _unexplained(
    sub: Analysis, offset: int, intent: IntentName, slots: dict[str, SlotValue]
) -> str | None:
    """The rest of the command clause from its first word that is neither a slot value nor
    filler, with the filler just before it ("in prod", "and then web-1", "for 10 years")."""
    values = {str(v).lower() for v in slots.values() if not isinstance(v, tuple)}
    filler = _FILLER.get(intent, frozenset()) | _COMMON_FILLER | PRONOUNS
    for i in range(offset, len(sub.tokens)):
        if sub.tokens[i].norm == "then" and _more_after(sub, i):
            # "scale payments to 10 then scale back": a second step, even in known words
            return " ".join(t.raw for t in sub.tokens[i:])
        if intent in POSTING and is_channel(sub.tokens[i]):
            # as written, with its "#", so the answer can name the channel
            return " ".join(("#" if is_channel(t) else "") + t.raw for t in sub.tokens[i:])
        if _explained(sub, i, intent, slots, values) or sub.tokens[i].norm in filler:
            continue
        start = i
        while start > offset and sub.tokens[start - 1].norm in filler:
            start -= 1
        return " ".join(t.raw for t in sub.tokens[start:])
    return None


POSTING: Final = frozenset({I.SUBSCRIBE, I.UNSUBSCRIBE})
"""The intents about alert posts in this channel (shared with :mod:`intents.parser`)."""


def about_subscriptions(a: Analysis) -> bool:
    """Whether ``a`` may be about what this channel is sent, which an offer of a
    (un)subscription needs: it speaks of alerts, notifications, firing, a channel or a
    subscription, and not of one alert ("send the alert here", "remove the alert") or of
    people's updates ("post updates here", "keep us in the loop")."""
    words = a.words
    if _ONE_ALERT.search(" ".join(words)) and not set(words) & _ALERT_WORDS:
        return False
    return any(w.startswith(_POSTING_STEMS) or w in _POSTING_WORDS for w in words) or bool(
        a.first("severity")
    )


_ONE_ALERT: Final = re.compile(
    r"\b(?:the|that|this) (?:\S+ )?alert\b(?! (?:posts|list|subscriptions?|notifications))"
)
_POSTING_STEMS: Final = ("alert", "notif", "fire", "firing", "page", "paging", "subscri")
_POSTING_WORDS: Final = word_set("channel room feed follow unfollow opt posts")


def is_channel(token: Token) -> bool:
    """ "#incidents": a channel named in a subscription, which is always for the channel it
    is said in; so naming another one is refused, never read as this one ("#12" is a number)."""
    return token.hashed and not token.raw.isdigit()


def _more_after(sub: Analysis, i: int) -> bool:
    """Whether words other than politeness follow word ``i`` ("then thanks" does not)."""
    return any(t.norm not in _COMMON_FILLER for t in sub.tokens[i + 1 :])


def _explained(
    sub: Analysis, i: int, intent: IntentName, slots: dict[str, SlotValue], values: set[str]
) -> bool:
    """Whether word ``i`` is a slot value (or a span the command takes, like "for 2h")."""
    span, token = sub.span_at(i), sub.tokens[i]
    if span is not None and span.kind == "until" and sub.first("duration") is not None:
        return False  # "for 2h until 5pm": two lengths, and a silence takes one
    if span is not None and span.kind == "window" and _for_a_time(sub, span):
        return False  # "scale to 5 for the weekend": a change the bot would never undo
    if (
        span is not None
        and span.kind == "number"
        and intent is I.REMEDIATION
        and slots.get("action") != "scale"
    ):
        return False  # "restart web 1": the number was part of the name
    if (
        span is not None
        and span.kind == "number"
        and slots.get("action") == "scale"
        and "replicas" in slots
        and sub.word(i - 1) == "to"
        and str(span.value) != str(slots.get("replicas"))
    ):
        return False  # "scale payments to 5 to 10": two counts
    if span is not None and span.kind in _SPANS.get(intent, ()):
        return True
    if span is not None and span.kind == "action" and str(span.value) == slots.get("action"):
        return True
    if token.lower in values or token.raw.lstrip("#") in values:
        return True
    return token.lower.startswith("x") and token.lower.lstrip("x") in values


def _for_a_time(a: Analysis, span: Span) -> bool:
    """ "for the weekend", "for tonight", "for black friday": how long a change should last."""
    return "for" in (a.word(span.start - 1), a.word(span.start - 2))


def _hedged(a: Analysis, clause: range, head: int, verb: Verb) -> bool:
    """A word anywhere outside the command's verb and polite words that takes the order
    back ("not", "wait", "if", "or should we", "maybe later"); a condition before it or in
    its clause ("when ..., restart it"); a quoting label before it ("idea: restart web-1");
    the command in quotes; or, for anything but a silence (which lasts until a time), a
    time it should happen at ("restart web-1 tomorrow", "at 3am"): the bot acts now or not
    at all."""
    if _quoted(a, verb) or _labelled(a, clause) or list_item(a) or _titled(a, clause):
        return True
    if decisions.struck_or_done(a) or any(
        c.start >= clause.stop and decisions.is_status(list(a.words[c.start : c.stop]))
        for c in clauses(a)
    ):
        return True  # "restart checkout - in progress", "restart checkout, done already"
    if addressed(a) or mocking(a) or _to_people(a, clause):
        return True
    if any(t.lower in _JOKE_CODES for t in a.tokens):
        return True
    if verb.intent is not I.DENY and _disapproved(a, clause):
        return True
    if _taken_back(a, clause, head):
        return True
    silence = verb.intent is I.ALERT_SILENCE
    if any(_at_a_time(a, s, clause, silence=silence) for s in a.spans):
        return True
    starts = {c.start for c in clauses(a)}
    for i, word in enumerate(a.words):
        own = clause.start <= i < head or verb.start <= i < verb.end
        if own and word not in _NEGATORS:
            continue
        if i >= clause.stop and word in _NEGATORS | {"no"} and _in_a_because(a, i):
            continue  # "rollback ws-gw because users can't connect"
        if i > head and verb.intent is I.DENY and _why_not(a, i):
            continue
        if i >= clause.stop and word == "too" and _says_why(a, i) and not _against(a, i):
            continue  # "unsubscribe warning, too noisy": the reason, not "also"
        if word in _HEDGES or (word in _CONDITIONS and (i < clause.stop or i in starts)):
            span = a.span_at(i)
            if span is None or span.kind not in ("until", "window"):
                return True
    return False


_PEOPLE: Final = word_set(
    """
    team folks guys everyone everybody all people yall y'all sre devs oncall on-call whoever
    gang peeps friends squad crew ops lads lad mate mates boss sir madam chief buddy bud dude
    fam pal pals bro bros man fellas fella gents ladies colleagues you
    """
)
_GREETINGS: Final = word_set(
    """
    hi hey hello yo ok okay thanks thank thx ty cheers dear morning evening is on call go
    ahead alright right sure fine cool great yes yep yeah please pls so now hiya heya howdy
    over to your turn yours handing hand off note for
    """
)


def list_item(a: Analysis) -> bool:
    """Whether ``a`` is a pasted list item or commented-out line (:data:`_LIST_MARKER`)."""
    return _LIST_MARKER.match(a.text) is not None


def _to_people(a: Analysis, command: range) -> bool:
    """ "hi team, please approve 42", "folks, restart web-1", "sre team: rollback payments":
    a clause before the command that only greets or calls a group of people, so the command
    is said to them (as "@bob restart web-1" is)."""
    for clause in clauses(a):
        if clause.start >= command.start:
            return False
        words = set(a.words[clause.start : clause.stop])
        named = {a.words[i] for i in clause if _a_person(a.tokens[i])}
        if (words & _PEOPLE or named) and words <= _PEOPLE | _GREETINGS | named:
            return True
    return False


def _a_person(token: Token) -> bool:
    """A word that can only be someone's name ("bob", "priya"): plain letters that are no
    known word, host, alert or command."""
    return (
        token.is_plain_name
        and token.raw.isalpha()
        and token.lower not in _ORDINARY
        and not is_camel(token)
        and verb_at([token.lower], 0) is None
    )


def _taken_back(a: Analysis, command: range, head: int) -> bool:
    """Another clause, or the words before the verb ("yeah sure scale search to 50"), that
    takes the order back, mocks it or quotes someone (see :data:`_TAKEN_BACK`)."""
    if head > command.start and _TAKEN_BACK.search(" ".join(a.words[command.start : head])):
        return True
    for clause in clauses(a):
        if clause != command:
            words = " ".join(t.lower for t in a.tokens[clause.start : clause.stop])
            if _TAKEN_BACK.search(words):
                return True
    return False


def _disapproved(a: Analysis, command: range) -> bool:
    for clause in clauses(a):
        if clause != command:
            words = [w for w in a.words[clause.start : clause.stop] if w not in _DISAPPROVAL_FILLER]
            if _DISAPPROVAL.fullmatch(" ".join(words)):
                return True
    return False


def _why_not(a: Analysis, i: int) -> bool:
    """ "too risky", "not safe", "no rollback plan" after a denial: its reason, which agrees
    with it ("deny 12, too risky"). After an approval the same words take it back, and "not
    yet", "no wait" or "not now" after a denial may be a change of mind: those still hold
    the order."""
    if a.words[i] in ("too", "not") and a.word(i + 1) in _DENIAL_REASONS:
        return True
    return a.words[i] in ("no", "not", "without") and _says_why(a, i)


def _in_a_because(a: Analysis, i: int) -> bool:
    """Whether word ``i`` is in a clause that starts with "because", "cuz", "since"..."""
    own = next((c for c in clauses(a) if i in c), None)
    return own is not None and a.words[own.start] in _BECAUSE


def _against(a: Analysis, i: int) -> bool:
    """ "too risky", "too early": a reason against the command, which takes it back."""
    return a.word(i + 1) in _DENIAL_REASONS


def _says_why(a: Analysis, i: int) -> bool:
    """Whether word ``i`` ("too", "no") leads a reason: a word follows it that is no
    change of mind ("too noisy", "no rollback plan"; not "no wait", "too." or "not yet")."""
    after = a.word(i + 1)
    return after is not None and after not in _CHANGE_OF_MIND and after.isalpha()


_CHANGE_OF_MIND: Final = word_set(
    "wait yet now really sure so actually worries problem problems thanks thx way idea"
)


def _quoted(a: Analysis, verb: Verb) -> bool:
    """Whether the command's verb stands inside quotes ("docs: "scale x to 3""); quotes
    elsewhere ("restart web-1, the log says "connection refused"") are the user's words."""
    verb_word = a.tokens[verb.start].lower
    for match in _QUOTED.finditer(a.text):
        quoted = (match.group(1) or match.group(2) or "").lower()
        if re.search(rf"(?<![\w-]){re.escape(verb_word)}(?![\w-])", quoted):
            return True
    return False


def _at_a_time(a: Analysis, span: Span, clause: range, *, silence: bool = False) -> bool:
    """Whether ``span`` says when the command should happen: a time phrase in its clause
    (not for a silence, which lasts until one), or a clause before or after it that says
    nothing else ("tomorrow, restart web-1", "restart db-primary, tomorrow"); not one naming
    a version or a purpose ("roll back search to yesterday's build", "to 5 for black
    friday") nor a reason ("down since 2am, restart it"; "scale up, black friday traffic")."""
    if span.kind not in _TIMED:
        return False
    if clause.start <= span.start < clause.stop:
        if silence or a.tokens[span.start].lower == "from":
            return False
        return not _for_a_purpose(a, span)
    own = next(c for c in clauses(a) if c.start <= span.start < c.stop)
    return all(a.span_at(i) is span or a.words[i] in _COMMON_FILLER for i in own)


def _for_a_purpose(a: Analysis, span: Span) -> bool:
    """Whether a time names a version or what the change is for ("to yesterday's build",
    "for the weekend", "for black friday"), not when to act ("to 10 at midnight")."""
    before = a.span_at(span.start - 1)
    counted = before is not None and before.kind == "number"
    return a.word(span.start - 1) in _NOT_WHEN or (
        a.word(span.start - 2) in _NOT_WHEN and not counted
    )


def _labelled(a: Analysis, clause: range) -> bool:
    """Whether a quoting label ending in a colon comes before the command ("note to self:",
    "docs:", "per bob:", "alice said:")."""
    return any(
        a.tokens[c.stop - 1].stop == ":"
        and any(w.lower in _QUOTING_LABELS for w in a.tokens[: c.stop])
        and _after_prefix(a, range(c.stop)) is not None  # "go for it:" is a go-ahead
        for c in clauses(a)
        if c.stop <= clause.start
    )


_RECORDS: Final = word_set(
    "request req ticket incident inc case issue jira pr change cr task story bug sev"
)


def _titled(a: Analysis, clause: range) -> bool:
    """Whether the command follows a record's number and a dash, the title line of a
    ticket, request or incident pasted into chat ("request 42 - restart web-1 - waiting",
    "Incident #4411 - rollback payments")."""
    for before in clauses(a):
        if before.start >= clause.start:
            return False
        words = [w.lstrip("#") for w in a.words[before.start : before.stop]]
        dashed = before.stop < len(a.tokens) and a.tokens[before.stop].norm == "-"
        if dashed and len(words) == 2 and words[0] in _RECORDS and words[1].isdigit():
            return True
    return False


def _asked(a: Analysis, clause: range, head: int) -> bool:
    """A question mark, unless the command was asked politely ("can you restart X?")."""
    if "?" not in a.text:  # "restart web-1 (?)" asks too
        return False
    words = a.words[clause.start : head]
    return not any(tuple(words[i : i + 2]) in _POLITE_ASK for i in range(len(words)))


def _plain(value: SlotValue) -> bool:
    return isinstance(value, int) or PLAIN_NAME.fullmatch(str(value)) is not None
