# Loops for ever, saying it is alive every second (ash, as on alpine).
while true; do
    echo "alive..."
    sleep 1
done
