"""OSC routes for projects and undo/redo."""

from __future__ import annotations

import json

from padserver.control.route import RouteGroup

group = RouteGroup()
route = group.route


@route("/undo", "", "Undo the last change (a fader sweep is one step); replies `/undo s:what`.")
async def _undo(ctx):
    return [("/undo", [await ctx.actions.undo()])]


@route("/redo", "", "Redo what was undone; replies `/redo s:what`.")
async def _redo(ctx):
    return [("/redo", [await ctx.actions.redo()])]


def _projects(ctx):
    if ctx.actions.projects is None:
        raise ValueError("projects are not available")
    return ctx.actions.projects


@route("/project/new", "", "Start a new project (the current one is saved first); replies `/project/loaded s:name`.")
async def _project_new(ctx):
    projects = _projects(ctx)
    await projects.new()
    return [("/project/loaded", [projects.name])]


@route(
    "/project/save", "[s:name]", "Save the open project (under a new name if given); replies `/project/saved s:name`."
)
def _project_save(ctx, name=None):
    return [("/project/saved", [_projects(ctx).save(name)])]


@route(
    "/project/save_as",
    "s:name",
    "Save the open project under a new name and keep working in it; replies `/project/saved s:name`.",
)
def _project_save_as(ctx, name):
    return [("/project/saved", [_projects(ctx).save_as(name)])]


@route(
    "/project/load",
    "s:name",
    "Open a saved project; playing pads change on the next bar; replies `/project/loaded s:name i:problems`.",
)
async def _project_load(ctx, name):
    projects = _projects(ctx)
    problems = await projects.load(name)
    return [("/project/loaded", [projects.name, len(problems)])]


@route("/project/delete", "s:name", "Delete a saved project (not the open one).")
def _project_delete(ctx, name):
    _projects(ctx).delete(name)
    return [("/project/deleted", [str(name)])]


@route("/project/list", "", "Replies `/project/list s:json`: the saved projects, and which is open.")
def _project_list(ctx):
    return [("/project/list", [json.dumps(_projects(ctx).names())])]
