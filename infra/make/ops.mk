# Operator targets for the compose stack (docker-compose.yml), included by the Makefile.
# Each is idempotent: running it twice leaves the same state.
#
#   MODELHUB_OFFLINE  auto (default): use docker-compose.offline.yml when the offline images
#                     exist; 1: always (fail if missing); 0: never (official images)
#   BACKUP_DIR        where `make backup` writes (default backups/<UTC time>)
#   BACKUP            the directory `make restore` reads; FORCE=1 replaces a non-empty hub
#   EMAIL, USERNAME, PASSWORD   for `make create-admin` (asked for when not given)
#   SERVICE           limit `make logs` / `make restart` to one service
#   MODELHUB_ENV_FILE the settings file (default .env): compose's --env-file and the
#                     control plane's env_file

MODELHUB_OFFLINE ?= auto
OFFLINE_PROBE    := modelhub/traefik:v$(TRAEFIK_VERSION)-offline
COMPOSE_CLI       = $(shell infra/bootstrap/compose.sh 2>/dev/null | tail -n 1)
OFFLINE_ON        = $(filter 1,$(MODELHUB_OFFLINE))$(if $(filter auto,$(MODELHUB_OFFLINE)),$(shell docker image inspect $(OFFLINE_PROBE) >/dev/null 2>&1 && echo 1))
COMPOSE_FILES     = -f docker-compose.yml $(if $(OFFLINE_ON),-f docker-compose.offline.yml)
DOCKER_GID        = $(shell stat -c %g /var/run/docker.sock 2>/dev/null || echo 999)
MODELHUB_ENV_FILE ?= .env
export MODELHUB_ENV_FILE
COMPOSE           = DOCKER_GID=$(DOCKER_GID) $(COMPOSE_CLI) $(COMPOSE_FILES) $(if $(wildcard $(MODELHUB_ENV_FILE)),--env-file $(MODELHUB_ENV_FILE))
DEMO_NETWORK      = $(or $(MODELHUB_DEMO_NETWORK),$(shell sed -n 's/^MODELHUB_DEMO_NETWORK=//p' $(MODELHUB_ENV_FILE) 2>/dev/null),modelhub-demos)
BACKUP_DIR       ?= backups/$(shell date -u +%Y%m%dT%H%M%SZ)

.PHONY: compose-cli
compose-cli: ## install Docker Compose when missing (v2 plugin built from the Go proxy)
	@infra/bootstrap/compose.sh >/dev/null

$(MODELHUB_ENV_FILE):
	@umask 077; sed "s/^JWT_SECRET_KEY=.*/JWT_SECRET_KEY=$$(python3 -c 'import secrets; print(secrets.token_hex(32))')/" \
		.env.example >$@
	@echo "wrote $@ with a fresh JWT_SECRET_KEY (edit it for your site)"

.PHONY: up
up: $(MODELHUB_ENV_FILE) compose-cli ## start the production stack (compose) in the background and wait until healthy
	@docker network inspect $(DEMO_NETWORK) >/dev/null 2>&1 || docker network create $(DEMO_NETWORK) >/dev/null
	@if [ "$(MODELHUB_OFFLINE)" = 1 ] && ! docker image inspect $(OFFLINE_PROBE) >/dev/null 2>&1; then \
		echo "offline images missing: run make images-offline" >&2; exit 1; fi
	$(COMPOSE) up -d --wait --remove-orphans
	@echo "Model Hub is up at http://localhost:$(or $(MODELHUB_PUBLIC_PORT),$(shell sed -n 's/^MODELHUB_PUBLIC_PORT=//p' $(MODELHUB_ENV_FILE) 2>/dev/null),8080)"

.PHONY: down
down: compose-cli ## stop the stack (volumes and running demos are kept)
	$(COMPOSE) down --remove-orphans

.PHONY: restart
restart: compose-cli ## restart the stack, or one SERVICE
	$(COMPOSE) restart $(SERVICE)

.PHONY: ps
ps: compose-cli ## the stack's containers and their health
	$(COMPOSE) ps

.PHONY: logs
logs: compose-cli ## follow the stack's logs (SERVICE=control-plane for one)
	$(COMPOSE) logs -f --tail=200 $(SERVICE)

.PHONY: build
build: ## build the control plane and web app images (offline flavour when MODELHUB_OFFLINE says so)
	@infra/images/build.sh $(if $(OFFLINE_ON),offline,official)

.PHONY: images-offline
images-offline: venv ## build every image of the stack without a registry (FerretDB, Traefik, app images)
	@infra/bootstrap/docker-engine.sh
	@infra/bootstrap/base-images.sh
	@infra/bootstrap/ferretdb.sh
	@infra/images/build.sh offline

.PHONY: backup
backup: compose-cli ## back up the database and bundles into BACKUP_DIR (default backups/<time>)
	@mkdir -p $(dir $(BACKUP_DIR))
	$(COMPOSE) exec -T control-plane sh -c 'rm -rf /data/.backup-out && modelhub backup /data/.backup-out'
	$(COMPOSE) cp control-plane:/data/.backup-out $(BACKUP_DIR)
	$(COMPOSE) exec -T control-plane rm -rf /data/.backup-out
	@echo "backup written to $(BACKUP_DIR)"

.PHONY: restore
restore: compose-cli ## restore BACKUP=<dir> into the stack (FORCE=1 replaces existing data)
	@test -n "$(BACKUP)" && test -f "$(BACKUP)/manifest.json" || { echo "usage: make restore BACKUP=<backup dir>" >&2; exit 1; }
	$(COMPOSE) stop web control-plane
	$(COMPOSE) run --rm --no-deps -T -v "$(abspath $(BACKUP)):/restore:ro" control-plane \
		modelhub restore /restore $(if $(filter 1,$(FORCE)),--force)
	$(COMPOSE) up -d --wait

.PHONY: create-admin
create-admin: compose-cli ## create or promote an administrator (EMAIL=, USERNAME=, PASSWORD= or prompts)
	$(COMPOSE) exec $(if $(EMAIL),-e MODELHUB_ADMIN_EMAIL=$(EMAIL)) \
		$(if $(USERNAME),-e MODELHUB_ADMIN_USERNAME=$(USERNAME)) \
		$(if $(PASSWORD),-e MODELHUB_ADMIN_PASSWORD=$(PASSWORD)) \
		control-plane modelhub create-admin

.PHONY: clean
clean: compose-cli ## remove stopped and orphan demo containers, old and dangling demo images
	$(COMPOSE) exec -T control-plane modelhub prune --dangling
