"""The shared shape of the JVM servers: jars from the cache, a bounded heap, one main class."""

from __future__ import annotations

import shutil
from abc import abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from chirp.core.errors import MissingDependency
from chirp.infra.provision.local import jars
from chirp.infra.provision.local.component import Component, Problem
from chirp.infra.provision.local.java import MIN_JAVA, find_java, java_version


@dataclass
class JvmComponent(Component):
    main_class: ClassVar[str]

    @property
    @abstractmethod
    def version(self) -> str: ...

    @property
    @abstractmethod
    def heap_mb(self) -> int: ...

    @property
    def lib(self) -> Path:
        return jars.lib_dir(self.settings.cache_dir, self.name, self.version)

    def problems(self) -> list[Problem]:
        problems = []
        try:
            find_java(self.settings.java_home)
        except MissingDependency as missing:
            problems.append(Problem(missing.what, missing.fix))
        if not jars.is_resolved(self.settings.cache_dir, self.name, self.version):
            if shutil.which("mvn") is None:
                problems.append(Problem("mvn (to fetch server jars)", "apt-get install -y maven"))
            else:
                problems.append(Problem(f"{self.name} {self.version} jars", "chirp doctor --fix"))
        return problems

    def java_info(self) -> str:
        java = find_java(self.settings.java_home)
        return f"{java} (Java {java_version(java)}, needs {MIN_JAVA}+)"

    def prepare(self) -> None:
        jars.ensure(self.settings.cache_dir, self.name, self.version)
        self.data_dir.mkdir(parents=True, exist_ok=True)

    def jvm_options(self) -> list[str]:
        return []

    @abstractmethod
    def arguments(self) -> list[str]:
        """The main class's own arguments."""

    def command(self) -> list[str]:
        return [
            find_java(self.settings.java_home),
            f"-Xms{self.heap_mb}m",
            f"-Xmx{self.heap_mb}m",
            "-XX:+UseSerialGC" if self.heap_mb <= 512 else "-XX:+UseG1GC",
            "-XX:+ExitOnOutOfMemoryError",
            *self.jvm_options(),
            "-cp",
            f"{self.lib}/*",
            self.main_class,
            *self.arguments(),
        ]
