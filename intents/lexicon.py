"""The parser's vocabulary: synonym tables that map what people type onto slot values.

Everything here is data, kept in one place so the grammar, the slot extractors, the spelling
corrector and the classifier's text view agree on what a word means. Phrases are tuples of
lower-case words; the longest phrase wins when several match at one position.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType

Phrase = tuple[str, ...]


def _list(text: str) -> tuple[Phrase, ...]:
    """``"and, what about, same for"`` as phrases: ``(("and",), ("what", "about"), ...)``."""
    return tuple(tuple(item.split()) for item in text.split(",") if item.strip())


def by_first_word(phrases: Iterable[Phrase]) -> Mapping[str, tuple[Phrase, ...]]:
    """The phrases grouped by their first word, longest first: a word that starts none is
    passed over without comparing it with each."""
    grouped: dict[str, list[Phrase]] = {}
    for phrase in sorted(phrases, key=len, reverse=True):
        grouped.setdefault(phrase[0], []).append(phrase)
    return MappingProxyType({word: tuple(group) for word, group in grouped.items()})


def _phrases(table: Mapping[str, str]) -> Mapping[Phrase, str]:
    """Invert ``{value: "synonym, two words, ..."}`` into ``{("two", "words"): value}``; the
    value itself is always one of its phrases, as written (``error_rate``: the bot's own
    echoes and suggestions write it so) and read as words ("error rate")."""
    out: dict[Phrase, str] = {}
    for value, synonyms in table.items():
        for phrase in ([value], value.replace("_", " ").split(), *_list(synonyms)):
            out[tuple(phrase)] = value
    return MappingProxyType(out)


def phrase_list(text: str) -> tuple[str, ...]:
    """The comma-separated phrases of ``text``, each with its whitespace collapsed."""
    return tuple(" ".join(item.split()) for item in text.split(",") if item.strip())


def word_set(text: str) -> frozenset[str]:
    """The whitespace-separated words of ``text``: how word lists are written here."""
    return frozenset(text.split())


def _numbers(text: str) -> Mapping[str, int]:
    pairs = (item.split("=") for item in text.split())
    return MappingProxyType({word: int(value) for word, value in pairs})


METRIC_PHRASES: Mapping[Phrase, str] = _phrases(
    {
        "cpu": (
            "cpus, load, load average, loadavg, processor, cpu usage, cpu load, cpu utilization, "
            "cpu utilisation, cpu util, compute, loaded, how busy"
        ),
        "memory": (
            "ram, mem, heap, memory usage, memory use, memory consumption, rss, memory "
            "utilization, memory utilisation, swap, swap usage"
        ),
        "disk": (
            "disks, disk usage, disk space, storage, filesystem, filesystems, fs, disk io, iops, "
            "free space, drive, drives, volume usage, inodes, disk i/o, i/o, io"
        ),
        "network": (
            "net, bandwidth, network traffic, network io, network usage, ingress, "
            "egress, packets, network throughput, net io"
        ),
        "latency": (
            "response time, response times, latencies, p99, p95, p90, p50, p99 latency, response "
            "latency, request latency, slowness, lag, request duration, how slow, slow, sluggish"
        ),
        "error_rate": (
            "errors, error, errors rate, 5xx, 5xxs, 500s, failures, failure rate, error ratio, "
            "failed requests, http errors, exceptions, error count, 5xx rate, 5xx errors, 500 "
            "errors"
        ),
        "request_rate": (
            "traffic, rps, qps, requests, requests per second, req/s, reqs, hits, request volume, "
            "queries per second, request count, number of requests, request throughput, http "
            "requests, request per second, requests per sec, req per sec, reqs per second, "
            "calls per second, rpm, requests per minute, throughput of requests, throughput"
        ),
    }
)

SEVERITY_PHRASES: Mapping[Phrase, str] = _phrases(
    {
        "critical": "crit, criticals, sev1, p1, severe, urgent, critical-level, sev-1",
        "warning": "warn, warnings, warns, sev2, p2, warning-level, sev-2",
        "info": "infos, informational, sev3, p3, info-level, sev-3",
    }
)

ACTION_PHRASES: Mapping[Phrase, str] = _phrases(
    {
        "restart": (
            "restarts, reboot, bounce, recycle, kick, cycle, restarted, rebooted, redeploy, "
            "relaunch, reload, rolling restart, bounced, recreate, respawn"
        ),
        "scale": (
            "scale up, scale down, scale out, scale in, resize, scaled, scaled up, scaled down"
        ),
        "rollback": (
            "roll back, rolled back, revert, undo the deploy, undo the last deploy, roll it back, "
            "downgrade, reverted, undo, go back to, rollout undo"
        ),
    }
)

HELP_TOPICS: Mapping[Phrase, str] = _phrases(
    {
        "alerts": "alert, alerting, alarms, firing",
        "metrics": "metric, graphs, charts, cpu, memory, dashboards",
        "silence": "silences, silencing, mute, muting, snooze, unsilence, unmute, unsnooze",
        "remediation": (
            "remediations, restart, restarts, scale, scaling, rollback, rollbacks, actions, "
            "runbooks, runbook"
        ),
        "anomaly": "anomalies, anomaly detection, unusual",
        "promql": "queries, query, prometheus",
        "status": "health, uptime, down",
        "subscribe": "subscriptions, subscription, notifications, unsubscribe",
        "approvals": "approve, approval, deny, requests",
        "forecast": "forecasts, prediction, predictions, predict, forecasting",
        "health": "healthy, health check, health summary",
    }
)

NUMBER_WORDS: Mapping[str, int] = _numbers(
    """
    a=1 an=1 one=1 two=2 three=3 four=4 five=5 six=6 seven=7 eight=8 nine=9 ten=10 eleven=11
    twelve=12 thirteen=13 fourteen=14 fifteen=15 sixteen=16 seventeen=17 eighteen=18
    nineteen=19 twenty=20 thirty=30 forty=40 forty-five=45 fifty=50 sixty=60 ninety=90
    couple=2 few=3 several=3 single=1
    """
)

TIME_UNITS: Mapping[str, int] = MappingProxyType(
    {
        **dict.fromkeys(("s", "sec", "secs", "second", "seconds"), 1),
        **dict.fromkeys(("m", "min", "mins", "minute", "minutes", "mn"), 60),
        **dict.fromkeys(("h", "hr", "hrs", "hour", "hours"), 3600),
        **dict.fromkeys(("d", "day", "days"), 86_400),
        **dict.fromkeys(("w", "wk", "wks", "week", "weeks"), 604_800),
        **dict.fromkeys(("month", "months"), 2_592_000),
    }
)

# Follow-up openers: the turn refines the previous one instead of starting a new request.
FOLLOWUP_OPENERS: tuple[Phrase, ...] = _list(
    "and, and what about, and how about, what about, how about, same for, same with, same "
    "thing for, same but for, same but, same, do the same for, now, ok now, okay now, and "
    "now, now for, now do, also, then, and also, now show, now show me, and for, and on, and "
    "with, what of, ok and, okay and, try, repeat for, again for, now try, switch to, compare "
    "with, and then, and the, how about for, what about for, ditto for, likewise for, make "
    "it, make that, change it to, change that to, but for, but, instead, ok what about, okay "
    "what about, and what about for, now for the, and over, same thing but, same thing with, "
    "same thing, the same for, the same but, and the same for, same again for, show me that "
    "for, show that for, do that for, and that for, that for, that but, ok so, so what about, "
    "and how about the, what about the, how about the, and if, what if, ok then"
)

FIRM_AFFIRMATIONS = frozenset(
    " ".join(p)
    for p in _list(
        "affirmative, confirm, confirmed, do it, go ahead, proceed, y, yeah, yep, yes, yup"
    )
)
"""The yes that runs a state-changing "did you mean": the others below also say "heard you"
or sign off ("ok thanks", "sure"), and a change needs more than that."""
AFFIRMATIONS = FIRM_AFFIRMATIONS | frozenset(
    " ".join(p) for p in _list("approved, lgtm, ok, okay, ship it, sure")
)
JEST_MARKS = frozenset("🙄😂🤣😏🙃😜😆")
"""Emoji that make a message a joke, whatever its words say."""
LAUGHS: frozenset[str] = word_set("lol lmao rofl haha jk kidding")
NEGATIONS = frozenset(
    " ".join(p)
    for p in _list(
        "abort, cancel, declined, denied, do not, don't, dont, n, nah, negative, never mind, "
        "nevermind, no, nope, reject, stop"
    )
)

# Plain words that never name a target even when they sit where a target would.
NON_TARGET_WORDS: frozenset[str] = word_set(
    """
    a an the this that these those it its them they their there here me my mine us our we you
    your i he she him her his all any anything everything something nothing every each some
    none one ones everyone anyone everybody whole entire other others both either
    what which who whom whose why how when where whether whatever
    is are was were be been being am do does did done doing have has had having can could
    will would shall should may might must need needs want wants let lets get got give show
    tell see check look looking find list display plot graph chart draw print fetch pull
    give me please pls plz thanks thank kindly just quickly now today yesterday tomorrow
    tonight currently current recently recent lately right moment time times
    last past previous prior next over during since until till from for of on in at to by
    with without within about around across into onto off up down out per via than then
    and or but not no yes so if as also too again still only very really much many more most
    less least few lot lots bit
    host hosts server servers service services node nodes machine machines box boxes
    instance instances pod pods container containers cluster clusters app apps application
    applications system systems target targets infra infrastructure fleet stack env
    environment environments prod production staging stage dev development test testing qa
    alert alerts alarm alarms alerting firing fired warning warnings critical info
    metric metrics graph graphs chart charts dashboard dashboards usage use used utilization
    utilisation util level levels value values number numbers stats statistics data
    status state health healthy unhealthy up down ok okay fine alive dead running broken
    working online offline reachable unreachable responding available unavailable
    anomaly anomalies anomalous unusual weird odd strange abnormal spikes spike outliers
    outlier deviations irregular suspicious funny issue issues problem problems wrong
    high low peak average avg mean max min maximum minimum trend trends
    higher lower highest lowest most least top bottom worst best busiest slowest biggest
    everywhere anywhere somewhere nowhere overall generally total
    databases dbs apis frontends backends workers vms endpoints microservices sites jobs
    instead though tho too well either code codes figure figures numbers breakdown
    replica replicas copies copy restart reboot scale rollback revert deploy deployment
    deploys release releases build builds version versions latest newest new old last
    previous current bad broken good stable rate ratio percent percentage count total sum
    request requests channel room chat thread bot everyone here log logs trail teh hte
    sending posting getting receiving showing doing going looking seeing having making
    taking coming trying telling asking checking watching starting stopping alerting
    paging notifying posting throwing serving returning hitting handling using eating
    burning climbing spiking dropping behaving acting holding pending waiting queued
    outstanding open
    deliver enable disable post posts push send forward route activate deactivate stop start
    turn switch create delete remove add set make keep let notify follow unfollow watch
    subscribe unsubscribe subscription notifications notification feed posting updates
    mute silence snooze pause hold quiet suppress ack acknowledge approve deny reject
    decline cancel confirm grant allow block veto run execute trigger apply perform invoke
    minute minutes hour hours day days week weeks month months second seconds
    morning afternoon evening night tonight weekend
    """
)

ENVIRONMENT_WORDS: frozenset[str] = word_set("dev prod production qa stage staging test")

# Nouns that name the kind of thing a target is ("the payments service").
TARGET_KIND_WORDS = frozenset(
    {
        "host",
        "server",
        "service",
        "node",
        "machine",
        "box",
        "instance",
        "pod",
        "container",
        "app",
        "application",
        "cluster",
        "deployment",
        "db",
        "database",
        "vm",
        "job",
        "api",
        "endpoint",
        "svc",
        "worker",
        "microservice",
        "backend",
        "frontend",
        "site",
    }
)

BOT_NAMES: frozenset[str] = word_set("bot sco smartcloudops smartcloudops-bot smartcloudopsbot")

# Words that signal an intent. With the phrase tables above they form the vocabulary the
# spelling corrector snaps near misses onto ("restrat" -> "restart", "alrets" -> "alerts").
CUE_WORDS: frozenset[str] = word_set(
    """
    help commands command usage manual docs documentation
    status health healthy unhealthy alive reachable unreachable responding online offline down
    up running available outage outages
    alerts alert alarms alarm firing fired alerting triggered active
    silence silenced silencing mute muted snooze snoozed quiet acknowledge ack suppress
    unusual anomaly anomalies anomalous abnormal weird strange odd outlier outliers spike
    spikes suspicious irregular unexpected deviation deviations
    restart reboot bounce rollback revert scale replicas instances
    approve approved approval deny denied reject rejected decline declined request
    approving denying rejecting declining proceed
    subscribe subscribed subscription unsubscribe unsubscribed notifications notify notified
    promql query prometheus expression evaluate execute runbook playbook
    graph chart plot show display usage utilization
    memory latency network traffic errors requests bandwidth storage throughput processor
    critical warning warnings info severity
    minutes hours days weeks seconds yesterday today
    """
)

ANOMALY_WORDS: frozenset[str] = word_set(
    """
    unusual anomaly anomalies anomalous abnormal weird weirdness strange odd oddities outlier
    abnormally anomalously strangely weirdly oddly unusually
    outliers spike spikes spiking suspicious irregular irregularities unexpected deviation
    deviations deviating funky off-pattern aberrant aberration aberrations abnormality
    abnormalities peculiar bizarre
    """
)

# Ordinary English the corrector must leave alone even when it is one edit from a cue word
# ("loan" is not "load", "science" is not "silence").
SERVICE_WORDS: frozenset[str] = word_set("cart carts user users notifier notifiers")
"""Everyday service names that are one edit from a vocabulary word ("cart" is no typo of
"chart"): left as written, so they can be targets."""
COMMON_WORDS: frozenset[str] = word_set(
    """
    about above after again against all also always am among and another any anyone are
    around ask asked away back bad be became because been before being below best better
    between big book both bring but buy by call called came can car care case cat cause
    change city close come comes coming cook could country course cut date dear did
    different do does dog doing done dinner door down draw dream drink drive during each
    early earth easy eat either else end enough even ever every example eye face fact fall
    family far fast father feel few film find fine fire first fish five food for form found
    four free friend from full fun funny game gave get girl give go god goes going gone
    good got great green group grow guess had half hand happy hard has hate have he head
    hear heard heart held hello her here high him his hold home hope horse hot house how
    idea if important in into is it its job joke just keep kind king know land large last
    late later laugh learn least leave left less let letter life light like line list
    little live loan local long look lose lost lot love low made main make man many map
    may me mean meet men might mind miss money more morning most mother move movie much
    music must my name near need never new news next nice night no not note nothing now
    number of off often old on once one only open or order other our out over own page
    paper part party pass past people perhaps person pick picture piece place plan play
    please point poem pretty price probably problem put question quick quite rain read
    ready real really reason recipe red remember rest right river road room round said
    same saw say school science sea second see seem seen sell send sense set she ship shop
    short should show side sign since sing size sleep slow small snow so some song soon
    sorry sound space speak spell sport spring stand star start state stay still stop
    story street strong study such summer sun sure table take talk tall teach team tell
    ten than thank thanks that the their them then there these they thing think this
    those though thought three through time to today together told too took top town
    train travel tree true try turn two under until up us use very visit wait walk want
    war warm was watch water way we weather week well went were what when where which
    while white who why will win wind window winter wish with without woman word work
    world would write wrong year yes yet you young your
    capital france paris weather joke jokes pizza movie recipe poem song lunch coffee
    football soccer mate cheers dude guys folks buddy pal lads
    """
)

# Words that only come up when someone talks about operations (or about this bot). A message
# with none of them, no slot value and no host-like name is out of scope, whatever the
# classifier says: "how do I cook pasta" is not a help request.
DOMAIN_WORDS: frozenset[str] = word_set(
    """
    up down healthy unhealthy health alive dead reachable unreachable responding online offline
    outage outages incident incidents broken failing failed crashing crashed crash recovered
    recover operational uptime running stuck hung degraded ping pinging fleet infra
    infrastructure prod production staging system systems server servers host hosts service
    services target targets node nodes pod pods replica replicas instance instances cluster
    clusters deploy deployed deploys deployment deployments release releases build version
    paging page pages firing fire fired notifications notification notify notified channel
    room post posting posts subscription subscriptions feed request requests approve approval
    deny reject decline grant veto metric metrics dashboard dashboards graph graphs chart
    charts query queries expression prometheus promql bot runbook runbooks playbook remediate
    remediation action actions silence silences mute snooze ack acknowledge alert alerts
    alerting alarm alarms anomaly anomalies usage utilization capacity saturation scale
    scaled scaling restart restarted rollback revert reverted reboot bounce monitor
    monitoring commands command help ahead lgtm normal abnormally oddly ordinary wrong
    triggered paged notifying opt working state shape deviated acting behaving issue issues
    problem problems
    """
)

# Words that carry no topic: a help request is "help" plus these, or it names a topic.
FUNCTION_WORDS: frozenset[str] = word_set(
    """
    a an the i me my we us our you your it its this that these those is are was were be am
    do does did can could would should will shall may might must need want wanna like to
    of for with on in at about from by and or so please pls plz kindly some any just really
    what which who how why where when there here now again more still also get give show
    tell let know see use using used need needs some something anything everything
    thing things hey hi hello ok okay oh well yeah yes no not
    """
)

# Everyday things this bot never operates on. A message naming one (and no host-like name)
# is out of scope whatever its verbs say: "restart my laptop", "approve my vacation request",
# "mute my microphone", "what's the traffic like on the highway", "is gmail down".
OFF_DOMAIN_WORDS: frozenset[str] = word_set(
    """
    laptop laptops phone phones iphone ipad android smartphone microphone mic headphones
    headset camera webcam printer printers tv television car cars bike highway highways
    freeway road roads motorway airport flight flights train trains bus commute
    vacation vacations holiday holidays pto expense expenses reimbursement timesheet
    timesheets payroll salary paycheck invoice newsletter newsletters email emails inbox
    marketing recipe recipes pizza lunch dinner breakfast coffee restaurant restaurants
    weather rain snow movie movies music song songs playlist podcast taxes tax
    homework essay birthday wedding doctor headache fever kid kids wife husband mom dad
    girlfriend boyfriend dog dogs cat cats pet pets gym workout
    gmail youtube netflix facebook instagram twitter whatsapp spotify tiktok uber
    meeting meetings zoom audio video webinar computer browser game games wifi goldfish
    fish hamster
    """
)

NOT_TYPOS: frozenset[str] = word_set(
    """
    describe restore restored approx escalate stale sale silent back track pack lack hack
    tack rack crack heck alter alters alerted healthy wealth statue statues stats quit quits
    quite
    """
)
"""Everyday words one letter or two from a command word ("describe" ~ subscribe, "stale" ~
scale, "restore" ~ restart): never taken for a typo of it, so "describe web-1" is not
offered back as a subscription."""
