"""The report of an evaluation as the text table ``gazejax evaluate`` prints."""


def format_report(results):
    """Lines of text for ``results`` (eval.json's dict).

    A report with ``rows`` prints one table of rows by metrics, the same for
    the same-view pairs, and the buckets by the first judge metric (gaze
    error when there is a judge, else PSNR); any other dict (a method scored
    by its ``eval_step`` means) prints one ``name value`` line each.
    """
    if "rows" not in results:
        width = max(len(k) for k in results)
        return [f"{name:<{width}}  {_shown(value)}" for name, value in results.items()]
    header = ", ".join(f"{k} {results[k]}" for k in ("method", "step", "pairs") if k in results)
    lines = [header, *_rows_table(results["rows"])]
    same_view = results.get("same_view")
    if same_view and same_view["pairs"]:
        lines += ["", f"same view: {same_view['pairs']} pairs", *_rows_table(same_view["rows"])]
    buckets = results.get("buckets")
    if buckets:
        metric = _bucket_metric(results["rows"])
        names = list(results["rows"])
        lines += ["", f"{metric} by redirection |d pitch| + |d yaw| (degrees)"]
        lines += _grid(["redirection_deg", "pairs", *names],
                       [[b["redirection_deg"], b["pairs"],
                         *(b["rows"].get(n, {}).get(metric) for n in names)] for b in buckets])
    return lines


def _rows_table(rows):
    metrics = list(dict.fromkeys(m for scores in rows.values() for m in scores))
    return _grid(["row", *metrics], [[name, *(scores.get(m) for m in metrics)]
                                     for name, scores in rows.items()])


def _bucket_metric(rows):
    metrics = {m for scores in rows.values() for m in scores}
    return "gaze_error_deg" if "gaze_error_deg" in metrics else "psnr"


def _grid(header, body):
    cells = [header] + [[_shown(v) for v in row] for row in body]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    return ["  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths)))
            for row in cells]


def _shown(value):
    if value is None:
        return "-"
    return f"{value:.6g}" if isinstance(value, float) else str(value)
