"""Executes one notebook cell by cell through a Jupyter kernel (nbclient) and reports as JSON lines.

Called by scripts/site/execute.ts. Unlike `jupyter nbconvert --execute`, it knows which cell failed and keeps the
cell's stderr (tslab reports compile errors and stack traces there, with an empty `evalue`), and it writes the
partially executed notebook even when a cell fails, so the failure can be inspected.

usage: execute_notebook.py INPUT.ipynb OUTPUT.ipynb KERNEL_NAME CELL_TIMEOUT_SECONDS
stdout, one JSON object a line: {"event": "start"}, {"event": "cell", "index", "seconds"} per code cell,
then {"event": "done"} or {"event": "error", "index", "ename", "evalue", "stderr", "source"}.
"""
import json
import sys
import time

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError


def emit(**event):
    print(json.dumps(event), flush=True)


def stderr_of(cell):
    texts = []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream" and out.get("name") == "stderr":
            texts.append(out.get("text", ""))
        elif out.get("output_type") == "error":
            texts.append("\n".join(out.get("traceback", [])))
    return "".join(texts)


def main():
    src, dst, kernel_name, timeout = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    nb = nbformat.read(src, as_version=4)
    client = NotebookClient(nb, kernel_name=kernel_name, timeout=timeout, record_timing=True)
    failed = None
    executed = 0
    with client.setup_kernel():
        emit(event="start")
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            t0 = time.time()
            try:
                client.execute_cell(cell, index)
            except CellExecutionError as e:
                failed = dict(index=index, ename=e.ename, evalue=e.evalue, stderr=stderr_of(cell), source=cell.source)
            except (CellTimeoutError, DeadKernelError) as e:
                failed = dict(index=index, ename=type(e).__name__, evalue=str(e).split("\n")[0],
                              stderr=stderr_of(cell), source=cell.source)
            if failed:
                break
            if cell.get("execution_count") is None:
                # tslab does not always report an execution count: number the cells in execution order.
                cell.execution_count = executed + 1
            executed += 1
            emit(event="cell", index=index, seconds=round(time.time() - t0, 3))
    nbformat.write(nb, dst)
    if failed:
        emit(event="error", **failed)
        sys.exit(1)
    emit(event="done")


if __name__ == "__main__":
    main()
