# The lab's "function": runs, says where, and ends.
echo "Hello from $(hostname), running $0 in $(pwd)"
