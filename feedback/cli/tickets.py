"""Commands for tickets, assignment rules, SLA rules and API tokens."""

from __future__ import annotations


import click

from feedback import clock, db
from feedback.errors import ServiceError

from feedback.cli import fail, main


# --- tickets ------------------------------------------------------------------------------------


@main.group("ticket")
def ticket_group() -> None:
    """Tickets: list, show, close; assignment and SLA rules."""


@ticket_group.command("list")
@click.option("--view", default="open", show_default=True, help="open, mine, department, overdue or all")
@click.option("--as", "email", help="whose `mine` / `department` (a user's email)")
@click.option("--status")
@click.option("--department", help="department key")
@click.option("--owner", help="user id, or none for the department queue")
@click.option("--category", help="category key")
@click.option("--channel")
@click.option("--priority")
@click.option("--q", help="ticket number or words to search")
@click.option("--limit", default=50, show_default=True)
def ticket_list(email: str | None, limit: int, **args) -> None:
    """List tickets with the filters of the ticket page, due first."""
    from feedback import ticket_lists, tickets

    with db.session_scope() as session:
        try:
            user = tickets.actor(session, email) if email else None
            filters = ticket_lists.TicketFilter.from_args({k: v for k, v in args.items() if v})
            page = ticket_lists.list_tickets(session, filters, user=user, now=clock.now(), per_page=limit)
        except ServiceError as exc:
            fail(exc)
        for t in page.items:
            owner = t.owner_name or "(queue)"
            due = clock.local(t.due_at).strftime("%Y-%m-%d %H:%M") if t.due_at else ""
            click.echo(f"{tickets.number(t.id)}  {t.status:11} {t.priority:7} {due:16}  {owner:20.20}  {t.title}")
        click.echo(f"{len(page.items)} of {page.total}")


@ticket_group.command("show")
@click.argument("number")
def ticket_show(number: str) -> None:
    """A ticket with its feedback items and history."""
    from feedback import ticket_lists, tickets

    with db.session_scope() as session:
        try:
            d = ticket_lists.ticket_detail(session, number)
        except ServiceError as exc:
            fail(exc)
        t, when = d.ticket, lambda m: clock.local(m).strftime("%Y-%m-%d %H:%M") if m else "—"
        owner = d.people[t.owner_id].name if t.owner_id in d.people else "(department queue)"
        click.echo(f"{tickets.number(t.id)}  {t.title}\n  status {t.status}, priority {t.priority}, owner {owner}")
        click.echo(f"  category {d.category.key if d.category else '—'}, opened {when(t.opened_at)}, due {when(t.due_at)}")
        if t.resolution:
            click.echo(f"  resolution: {t.resolution}")
        for f in d.feedback:
            click.echo(f"\n[{f.channel} #{f.id}, {when(f.received_at)}] {f.subject}\n{f.body or f.text}")
        click.echo("\nhistory:")
        for e in d.events:
            who = d.people[e.by_id].name if e.by_id in d.people else "system"
            click.echo(f"  {when(e.at)}  {who}: {e.field} {e.old!r} → {e.new!r} {e.note}".rstrip())


@ticket_group.command("close")
@click.argument("number")
@click.option("--resolution", required=True, help="what was done")
@click.option("--as", "email", required=True, help="the email of the head or manager closing it")
def ticket_close(number: str, resolution: str, email: str) -> None:
    """Close a ticket with its resolution (its department's head or a manager only)."""
    from feedback import tickets

    with db.session_scope() as session:
        try:
            ticket = tickets.close_ticket(session, number, resolution, by=tickets.actor(session, email), now=clock.now())
        except ServiceError as exc:
            fail(exc)
        click.echo(f"{tickets.number(ticket.id)} closed")


@ticket_group.command("assign-rule")
@click.argument("department")
@click.argument("rule", type=click.Choice(["head", "round_robin", "least_open", "queue"]))
def ticket_assign_rule(department: str, rule: str) -> None:
    """How a department's new tickets get an owner: its head, round robin, least open tickets, or the queue."""
    from feedback import assign

    with db.session_scope() as session:
        try:
            assign.set_rule(session, department, rule)
        except ServiceError as exc:
            fail(exc)
    click.echo(f"{department}: {rule}")


@ticket_group.command("sla")
@click.argument("priority", type=click.Choice(["low", "normal", "high", "urgent"]))
@click.argument("hours", type=int, required=False)
@click.option("--category", help="category key (default: the rule for every category)")
def ticket_sla(priority: str, hours: int | None, category: str | None) -> None:
    """Set the business hours to solve tickets of a priority (24 = one business day); no HOURS removes the rule."""
    from feedback import sla

    with db.session_scope() as session:
        try:
            sla.set_rule(session, category, priority, hours)
        except ServiceError as exc:
            fail(exc)
    click.echo(f"{category or 'every category'} / {priority}: {f'{hours} business hours' if hours else 'rule removed'}")


@ticket_group.command("api-token")
@click.option("--as", "email", required=True, help="the user the token acts as (their permissions apply)")
@click.option("--name", required=True, help="what will use it")
@click.option("--read-only", is_flag=True, help="tickets:read only")
def ticket_api_token(email: str, name: str, read_only: bool) -> None:
    """Create a ticket API token acting as a user; it is printed once and only its hash is kept."""
    from feedback import tickets, tokens

    scopes = ["tickets:read"] if read_only else ["tickets:read", "tickets:write"]
    with db.session_scope() as session:
        try:
            _token, plain = tokens.create_token(session, name=name, scopes=scopes, user=tickets.actor(session, email),
                                                now=clock.now())
        except ServiceError as exc:
            fail(exc)
    click.echo(plain)
