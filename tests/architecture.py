"""An import-linter contract the built-in ones lack: no two modules of the project import each other,
directly or around a ring, counting imports inside functions (grimp sees those as well).

`acyclic_siblings` compares packages at each level; this one compares single modules across apps,
where Django apps legitimately depend on each other at the package level."""

from importlinter import Contract, ContractCheck, output


class AcyclicModulesContract(Contract):
    type_name = "acyclic_modules"

    def check(self, graph, verbose: bool) -> ContractCheck:
        rings = []
        for ring in strongly_connected(graph.modules, graph.find_modules_directly_imported_by):
            if len(ring) > 1:
                ring_set = set(ring)
                rings.append(
                    [
                        f"{importer} -> {imported} (l.{detail['line_number']})"
                        for importer in sorted(ring)
                        for imported in sorted(graph.find_modules_directly_imported_by(importer) & ring_set)
                        for detail in graph.get_import_details(importer=importer, imported=imported)[:1]
                    ]
                )
        return ContractCheck(kept=not rings, metadata={"rings": rings})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for imports in check.metadata["rings"]:
            output.print_error("These modules import each other in a ring:")
            for line in imports:
                output.print_error(f"- {line}")
            output.new_line()


def strongly_connected(nodes, successors) -> list[list[str]]:
    """Tarjan's strongly connected components, iterative (no recursion limit on deep chains)."""
    index: dict[str, int] = {}
    lowlink: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components = []
    for root in sorted(nodes):
        if root in index:
            continue
        work = [(root, iter(sorted(successors(root))))]
        index[root] = lowlink[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    lowlink[work[-1][0]] = min(lowlink[work[-1][0]], lowlink[node])
                if lowlink[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    components.append(component)
            elif child not in index:
                index[child] = lowlink[child] = len(index)
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(sorted(successors(child)))))
            elif child in on_stack:
                lowlink[node] = min(lowlink[node], index[child])
    return components
