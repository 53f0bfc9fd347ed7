"""The ``xxgk`` command: thin wrappers over the library, one command per job.

Exit codes: 0 all valid · 1 the tool ran and found errors · 2 usage error. Results go to stdout,
progress and logs to stderr.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from toolkit import __version__

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


def _die(msg: str, code: int = 2) -> None:
    click.echo(f"错误：{msg}", err=True)
    sys.exit(code)


@click.group(context_settings=CONTEXT)
@click.version_option(__version__, prog_name="xxgk")
def main() -> None:
    """政府信息公开工作年度报告工具：模板、校验、汇总（国办公开办函〔2021〕30号格式）。

    \b
    xxgk template -o 模板.xlsx --year 2025            生成空白填报模板
    xxgk template --roster samples/roster.csv -o out/   按名单为每个单位生成模板
    xxgk validate 收到的文件/ --year 2025              校验（退出码 0 通过，1 有错误）
    xxgk merge samples/ --roster samples/roster.csv -o summary.xlsx   汇总
    """


@main.command(context_settings=CONTEXT)
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=True),
    help="输出文件（或 --roster 时的输出目录）",
)
@click.option("--year", type=click.IntRange(2000, 2100), help="报告年度，如 2025")
@click.option("--agency", help="机关名称")
@click.option("--code", help="统一社会信用代码（18位）")
@click.option("--parent", help="上级/所属地区")
@click.option(
    "--values", "values_path", type=click.Path(exists=True, dir_okay=False), help="预填数值的 JSON 文件"
)
@click.option(
    "--roster", type=click.Path(exists=True, dir_okay=False), help="名单（CSV 或 xlsx），每个单位生成一个模板"
)
def template(output, year, agency, code, parent, values_path, roster) -> None:
    """生成填报模板（xlsx）。

    \b
    例：xxgk template -o 区财政局.xlsx --year 2025 --agency 区财政局 --code 11110228MB0000001R
        xxgk template --roster samples/roster.csv --year 2025 -o 模板/
        xxgk template --values export.json -o 预填.xlsx
    """
    from toolkit.model import Submission
    from toolkit.roster import RosterError
    from toolkit.template import make_roster_templates, make_template
    from toolkit.uscc import uscc_problem
    from toolkit.values import ValuesError, load_values

    if roster:
        if values_path or agency or code:
            _die("--roster 不能与 --values/--agency/--code 同时使用")
        try:
            files, findings = make_roster_templates(roster, output, year=year, parent=parent)
        except RosterError as exc:
            _die(str(exc))
        for f in findings:
            click.echo(f"{'错误' if f.severity == 'error' else '提示'} [{f.code}] {f.message}", err=True)
        click.echo(f"已生成 {len(files)} 个模板，保存在 {output}")
        sys.exit(1 if any(f.severity == "error" for f in findings) else 0)
    if code and (problem := uscc_problem(code)):
        _die(f"统一社会信用代码 {code} 不正确：{problem}")
    try:
        sub = load_values(values_path) if values_path else Submission()
    except ValuesError as exc:
        _die("数值文件有误：\n  " + "\n  ".join(exc.problems))
    for k, v in (("year", year), ("agency", agency), ("code", code), ("parent", parent)):
        if v is not None:
            sub.cover[k] = v.upper() if k == "code" else v
    if Path(output).is_dir():
        _die(f"{output} 是目录；请给出文件名，如 {Path(output) / '模板.xlsx'}")
    path = make_template(output, sub)
    click.echo(f"已生成模板：{path}")


if __name__ == "__main__":  # pragma: no cover
    main()
