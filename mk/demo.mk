# `make demo`: install what is missing, build, and run demo/run (the HTTP
# example on bypass and on Linux in one VM, with curl, wget and a table).
.PHONY: demo
demo: deps
	$(MAKE) all
	demo/run
