# One image for every chirp process; the command picks the role:
#   python -m chirp.stack.run gateway --port 8101
#   python -m chirp.stack.run fanout | relay | search-indexer | trending | notify | analytics
#   python -m chirp.stack.bootstrap
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    CHIRP_RUN_DIR=/var/lib/chirp

RUN useradd --system --create-home --home-dir /home/chirp chirp \
    && install -d -o chirp -g chirp /var/lib/chirp

WORKDIR /app

# Dependencies first, from the project metadata alone, so code edits reuse this layer.
# The image runs the stack only (gateways, workers, the bootstrap), so it installs
# pyproject.toml's `stack` dependency group, not chirp's own dependencies: the CLI's
# Locust, matplotlib and Pulumi stay out. constraints.txt pins them to the versions CI
# tested; chirp itself then goes in without dependencies.
COPY pyproject.toml constraints.txt ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['dependency-groups']['stack']))" > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt -c constraints.txt

# .dockerignore keeps tests, caches and run state out.
COPY . .
RUN pip install --no-deps .

USER chirp
EXPOSE 8101
CMD ["python", "-m", "chirp.stack.run", "gateway", "--port", "8101"]
